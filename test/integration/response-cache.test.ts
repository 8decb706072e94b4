import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';
import { hashApiKey } from '../../src/auth/apiKeys.js';
import { demo, startStack, type Stack } from '../helpers/stack.js';

const everyStage = { 'x-api-key': 'key-for-every-stage-0123' };
const stageTwoOnly = { 'x-api-key': 'key-for-stage-two-only-01' };
const query = `query Alice { participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "alice") { userId state } }`;

describe('full-response cache', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      env: {
        // Revalidation here means a new call every time (the interval has its own test: fair-share.test.ts).
        UPSTREAM_REVALIDATE_MIN_INTERVAL_MS: '0',
        AUTH_MODE: 'api-key',
        AUTH_API_KEYS: JSON.stringify([
          { name: 'all', sha256: hashApiKey(everyStage['x-api-key']), stages: ['*'] },
          {
            name: 'two',
            sha256: hashApiKey(stageTwoOnly['x-api-key']),
            stages: ['arn:aws:ivs:us-east-1:123456789012:stage/DemoStage02'],
          },
        ]),
        // Participants stay fresh long enough that only the response cache decides what is asked.
        UPSTREAM_CACHE_TTL_MS_BY_OPERATION: 'GetParticipant=30000',
        GRAPHQL_RESPONSE_CACHE_TTL_SECONDS: '30',
      },
    });
  });
  after(async () => stack.close());
  beforeEach(() => stack.emulator.reset());

  test('the same query from the same caller is answered from the cache, marked by an Age header', async () => {
    const first = await stack.graphql(`${query} # 1`, undefined, everyStage);
    const again = await stack.graphql(`${query} # 1`, undefined, everyStage);
    assert.equal(first.headers.get('age'), null);
    assert.match(again.headers.get('age') ?? '', /^\d+$/);
    assert.deepEqual(again.body, first.body);
    assert.equal(stack.emulator.stats().calls, 1);
  });

  test('a caller with other stage grants never gets an answer cached for someone else', async () => {
    const allowed = await stack.graphql(`${query} # 2`, undefined, everyStage);
    assert.equal((allowed.body.data?.participant as { userId: string }).userId, 'user-alice');
    const refused = await stack.graphql(`${query} # 2`, undefined, stageTwoOnly);
    assert.equal(refused.body.data?.participant, null);
    assert.equal(refused.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.equal(refused.headers.get('age'), null);
  });

  test('Cache-Control: no-cache goes past both caches to IVS', async () => {
    await stack.graphql(`${query} # 3`, undefined, everyStage);
    await stack.graphql(`${query} # 3`, undefined, everyStage);
    const callsBefore = stack.emulator.stats().calls;
    const fresh = await stack.graphql(`${query} # 3`, undefined, { ...everyStage, 'cache-control': 'no-cache' });
    assert.equal(fresh.headers.get('age'), null);
    assert.equal(stack.emulator.stats().calls, callsBefore + 1);
  });

  test('responses with errors are not kept', async () => {
    const ghost = query.replace('"alice"', '"ghost"');
    await stack.graphql(ghost, undefined, everyStage);
    const again = await stack.graphql(ghost, undefined, everyStage);
    assert.equal(again.body.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    assert.equal(again.headers.get('age'), null);
  });

  test('an answer served from the cache is byte for byte the answer Apollo sent', async () => {
    const post = () =>
      fetch(`${stack.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...everyStage },
        body: JSON.stringify({ query: `${query} # 5`, variables: {} }),
      });
    const executed = await post();
    const cached = await post();
    assert.equal(executed.headers.get('age'), null);
    assert.match(cached.headers.get('age') ?? '', /^\d+$/);
    assert.equal(cached.headers.get('content-type'), executed.headers.get('content-type'));
    assert.equal(await cached.text(), await executed.text());
  });

  test('different variables or operation names are different answers', async () => {
    const byVariables = `query ById($id: String!) { participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: $id) { participantId } }`;
    const alice = await stack.graphql(byVariables, { id: 'alice' }, everyStage);
    const bob = await stack.graphql(byVariables, { id: 'bob' }, everyStage);
    assert.deepEqual(alice.body.data, { participant: { participantId: 'alice' } });
    assert.deepEqual(bob.body.data, { participant: { participantId: 'bob' } });
    assert.equal(bob.headers.get('age'), null);
    const twoOperations = `query A { participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "alice") { participantId } } query B { participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "bob") { participantId } }`;
    const post = (operationName: string) =>
      fetch(`${stack.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...everyStage },
        body: JSON.stringify({ query: twoOperations, operationName }),
      }).then((response) => response.json());
    assert.deepEqual(await post('A'), { data: { participant: { participantId: 'alice' } } });
    assert.deepEqual(await post('B'), { data: { participant: { participantId: 'bob' } } });
  });

  test('a cached answer is never served to a request that fails authentication', async () => {
    const deep = `query Deep { participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "alice") { attributes { key value } } }`;
    const first = await stack.graphql(deep, undefined, everyStage);
    assert.equal(first.body.errors, undefined);
    const unauthenticated = await stack.graphql(deep);
    assert.equal(unauthenticated.status, 401, 'a cached answer never skips authentication');
  });

  test('a router asking for a federated trace gets its own ftv1, and nobody else ever gets it', async () => {
    const traced = { ...everyStage, 'apollo-federation-include-trace': 'ftv1' };
    const plain = await stack.graphql(`${query} # 7`, undefined, everyStage);
    assert.equal(plain.body.extensions?.['ftv1'], undefined);
    const first = await stack.graphql(`${query} # 7`, undefined, traced);
    assert.equal(first.headers.get('age'), null, 'a trace request is never answered from the cache');
    assert.equal(typeof first.body.extensions?.['ftv1'], 'string');
    const second = await stack.graphql(`${query} # 7`, undefined, traced);
    assert.equal(second.headers.get('age'), null);
    assert.notEqual(second.body.extensions?.['ftv1'], first.body.extensions?.['ftv1'], 'a trace of its own execution');
    const afterTraces = await stack.graphql(`${query} # 7`, undefined, everyStage);
    assert.equal(afterTraces.body.extensions?.['ftv1'], undefined, 'a traced body is never kept for a plain caller');
  });

  test('a GET query string with an invalid percent-escape is keyed on the document Apollo executes', async () => {
    // Fastify's parser keeps this whole value raw (the %ZZ), URLSearchParams decodes %61 to `a`: executed is
    // alice's query, while the raw text is another document (participant "%61lice", which IVS would refuse).
    const raw = `{participant(stageArn:"${demo.stageArn}",sessionId:"${demo.sessionId}",participantId:"%61lice"){userId}}#%ZZ`;
    const planted = await rawGet(`/graphql?query=${raw}`, everyStage);
    assert.equal(planted.status, 200);
    assert.deepEqual(JSON.parse(planted.body), { data: { participant: { userId: 'user-alice' } } });
    const victim = await rawGet(`/graphql?query=${encodeURIComponent(raw)}`, everyStage);
    assert.equal(victim.headers['age'], undefined, 'not the answer cached for the other document');
    const body = JSON.parse(victim.body) as { errors?: { extensions?: { code?: string } }[] };
    assert.equal(body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });

  // fetch() would percent-encode the query string; node:http sends the request target as written.
  function rawGet(
    path: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    return new Promise((resolve, reject) => {
      const { hostname, port } = new URL(stack.url);
      const outgoing = httpRequest(
        { hostname, port, path, method: 'GET', headers: { ...headers, 'apollo-require-preflight': 'true' } },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end();
    });
  }
});
