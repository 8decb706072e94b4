import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { print } from 'graphql';
import { hashApiKey } from '../../src/auth/apiKeys.js';
import { loadTrustedDocuments } from '../../src/graphql/trustedDocuments.js';
import { demo, startStack, type Stack } from '../helpers/stack.js';

const apiKey = 'key-for-persisted-queries-01';
const authEnv = {
  AUTH_MODE: 'api-key',
  AUTH_API_KEYS: JSON.stringify([{ name: 'web', sha256: hashApiKey(apiKey), stages: ['*'] }]),
};
const participantQuery = gql`
  query Participant($stageArn: String!, $sessionId: String!, $participantId: String!) {
    participant(stageArn: $stageArn, sessionId: $sessionId, participantId: $participantId) {
      participantId
      userId
      state
    }
  }
`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface Exchange {
  method: string;
  hashOnly: boolean;
  status: number;
  age: string | null;
  cacheControl: string | null;
}

/** A real Apollo Client with the persisted-queries link (hashes sent as GET), recording every HTTP exchange. */
function webClient(stack: Stack): { client: ApolloClient; exchanges: Exchange[] } {
  const exchanges: Exchange[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : input);
    exchanges.push({
      method: init?.method ?? 'GET',
      hashOnly: init?.method === 'GET' && !url.searchParams.has('query'),
      status: response.status,
      age: response.headers.get('age'),
      cacheControl: response.headers.get('cache-control'),
    });
    return response;
  };
  const link = new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
    new HttpLink({ uri: `${stack.url}/graphql`, headers: { 'x-api-key': apiKey }, fetch: recordingFetch }),
  );
  return { client: new ApolloClient({ link, cache: new InMemoryCache() }), exchanges };
}

const alice = { ...demo, participantId: 'alice' };

describe('automatic persisted queries through @apollo/client', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      env: {
        ...authEnv,
        UPSTREAM_CACHE_TTL_MS_BY_OPERATION: 'GetParticipant=30000',
        GRAPHQL_RESPONSE_CACHE_TTL_SECONDS: '20',
      },
    });
  });
  after(async () => stack.close());

  test('the first ask registers the document; later asks send only its hash, as a cacheable GET', async () => {
    const first = webClient(stack);
    const result = await first.client.query({ query: participantQuery, variables: alice, fetchPolicy: 'network-only' });
    assert.deepEqual(result.data, {
      participant: { __typename: 'Participant', participantId: 'alice', userId: 'user-alice', state: 'CONNECTED' },
    });
    assert.deepEqual(
      first.exchanges.map(({ method, hashOnly }) => ({ method, hashOnly })),
      [
        { method: 'GET', hashOnly: true },
        { method: 'POST', hashOnly: false },
      ],
      'hash unknown, so the client sent the document once',
    );

    const second = webClient(stack);
    const again = await second.client.query({ query: participantQuery, variables: alice, fetchPolicy: 'network-only' });
    assert.deepEqual(again.data, result.data);
    assert.equal(second.exchanges.length, 1);
    const [exchange] = second.exchanges;
    assert.equal(exchange?.method, 'GET');
    assert.equal(exchange?.hashOnly, true);
    assert.equal(exchange?.cacheControl, 'private, max-age=20');
    assert.match(exchange?.age ?? '', /^\d+$/, 'answered from the response cache');
  });
});

describe('trusted documents (GRAPHQL_TRUSTED_DOCUMENTS_FILE)', () => {
  let stack: Stack;
  let dir: string;
  // What the client sends (and a manifest generator writes): the document with the cache's __typename fields.
  const trusted = print(new InMemoryCache().transformDocument(participantQuery));
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trusted-'));
    const manifest = join(dir, 'manifest.json');
    await writeFile(manifest, JSON.stringify({ [sha256(trusted)]: trusted }));
    stack = await startStack({ env: { ...authEnv, GRAPHQL_TRUSTED_DOCUMENTS_FILE: manifest } });
  });
  after(async () => {
    await stack.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a trusted operation named by its hash alone runs at once: the manifest supplies the document', async () => {
    const { client, exchanges } = webClient(stack);
    const result = await client.query<{ participant: { participantId: string } | null }>({
      query: participantQuery,
      variables: alice,
      fetchPolicy: 'network-only',
    });
    assert.equal(result.data?.participant?.participantId, 'alice');
    assert.deepEqual(
      exchanges.map(({ method, hashOnly, status }) => ({ method, hashOnly, status })),
      [{ method: 'GET', hashOnly: true, status: 200 }],
    );
  });

  test('the trusted document sent as text runs too', async () => {
    const response = await stack.graphql(trusted, alice, { 'x-api-key': apiKey });
    assert.equal(response.status, 200);
    assert.equal((response.body.data?.participant as { participantId: string }).participantId, 'alice');
  });

  test('any other document is refused with PERSISTED_QUERY_NOT_TRUSTED, unparsed, and IVS sees nothing', async () => {
    stack.emulator.reset();
    const other = `{ participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "bob") { userId } }`;
    for (const response of [
      await stack.graphql(other, undefined, { 'x-api-key': apiKey }),
      await stack.graphql('this is { not graphql', undefined, { 'x-api-key': apiKey }),
    ]) {
      assert.equal(response.status, 400);
      assert.deepEqual(
        response.body.errors?.map((error) => error.extensions?.code),
        ['PERSISTED_QUERY_NOT_TRUSTED'],
      );
    }
    const unknownHash = await fetch(
      `${stack.url}/graphql?${new URLSearchParams({ extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256(other) } }) }).toString()}`,
      { headers: { 'content-type': 'application/json', 'x-api-key': apiKey } },
    );
    assert.equal(unknownHash.status, 400);
    assert.equal(stack.emulator.stats().calls, 0);
  });

  test('credentials are still checked first', async () => {
    const response = await stack.graphql(trusted, alice);
    assert.equal(response.status, 401);
  });

  test('a manifest entry whose id is not the SHA-256 of its document stops the start', async () => {
    const manifest = join(dir, 'tampered.json');
    await writeFile(manifest, JSON.stringify({ [sha256('{ __typename }')]: trusted }));
    await assert.rejects(
      loadTrustedDocuments(manifest),
      /GRAPHQL_TRUSTED_DOCUMENTS_FILE: .* is not the SHA-256 of its document/,
    );
  });
});
