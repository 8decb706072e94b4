import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashApiKey } from '../../src/auth/apiKeys.js';
import { faults } from '../../src/emulator/server.js';
import { pollUntil } from '../helpers/poll.js';
import { demo, startStack, type Stack } from '../helpers/stack.js';

const apiKey = { 'x-api-key': 'key-for-http-caching-0123' };
const keyEnv = {
  AUTH_MODE: 'api-key',
  AUTH_API_KEYS: JSON.stringify([{ name: 'web', sha256: hashApiKey(apiKey['x-api-key']), stages: ['*'] }]),
};
const aliceQuery = (tag: string) =>
  `query Alice { participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "alice") { userId state } } # ${tag}`;

/** A GraphQL GET as a web app sends it (JSON content type, so Apollo's CSRF prevention lets it through). */
function get(stack: Stack, query: string, headers: Record<string, string> = {}): Promise<Response> {
  const search = new URLSearchParams({ query });
  return fetch(`${stack.url}/graphql?${search.toString()}`, {
    headers: { 'content-type': 'application/json', ...headers },
  });
}

describe('HTTP caching of GET queries (authenticated callers)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      env: {
        ...keyEnv,
        HTTP_CORS_ORIGINS: 'https://app.example.com',
        UPSTREAM_CACHE_TTL_MS_BY_OPERATION: 'GetParticipant=30000',
        GRAPHQL_RESPONSE_CACHE_TTL_SECONDS: '20',
      },
    });
  });
  after(async () => stack.close());

  test('a successful answer is private, for the response cache TTL, with an ETag and the headers it varies on', async () => {
    const response = await get(stack, aliceQuery('headers'), apiKey);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'private, max-age=20');
    assert.match(response.headers.get('etag') ?? '', /^"[A-Za-z0-9_-]{43}"$/);
    const vary = (response.headers.get('vary') ?? '').toLowerCase().split(/\s*,\s*/);
    for (const header of ['origin', 'accept', 'x-api-key']) assert.ok(vary.includes(header), `Vary names ${header}`);
    assert.equal(response.headers.get('age'), null, 'executed now, not served from the cache');
  });

  test('If-None-Match with the current ETag is answered 304 without a body, from the cache or not', async () => {
    const first = await get(stack, aliceQuery('etag'), apiKey);
    const etag = first.headers.get('etag') ?? '';
    await first.text();
    const revalidated = await get(stack, aliceQuery('etag'), { ...apiKey, 'if-none-match': etag });
    assert.equal(revalidated.status, 304);
    assert.equal(await revalidated.text(), '');
    assert.equal(revalidated.headers.get('etag'), etag);
    assert.equal(revalidated.headers.get('cache-control'), 'private, max-age=20');
    // no-cache skips the stored answer; the fresh one has the same bytes, so it is still Not Modified.
    const fresh = await get(stack, aliceQuery('etag'), {
      ...apiKey,
      'if-none-match': etag,
      'cache-control': 'no-cache',
    });
    assert.equal(fresh.status, 304);
    const other = await get(stack, aliceQuery('etag'), { ...apiKey, 'if-none-match': '"something-else"' });
    assert.equal(other.status, 200);
    assert.deepEqual(await other.json(), await (await get(stack, aliceQuery('etag'), apiKey)).json());
  });

  test('an answer with errors is no-store and has no ETag', async () => {
    const ghost = aliceQuery('ghost').replace('"alice"', '"ghost"');
    const response = await get(stack, ghost, apiKey);
    const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    assert.equal(body.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('etag'), null);
  });

  test('POST answers carry no caching headers', async () => {
    const response = await stack.graphql(aliceQuery('post'), undefined, apiKey);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), null);
    assert.equal(response.headers.get('etag'), null);
  });

  test('a GET a browser could send cross-site without a preflight is refused, even for a cached answer', async () => {
    await (await get(stack, aliceQuery('csrf'), apiKey)).text();
    const search = new URLSearchParams({ query: aliceQuery('csrf') });
    const simple = await fetch(`${stack.url}/graphql?${search.toString()}`, { headers: apiKey });
    assert.equal(simple.status, 400);
    assert.equal(simple.headers.get('age'), null);
  });

  test('a GET with a content type other than JSON is refused with 415, even for a cached answer', async () => {
    const cached = await get(stack, aliceQuery('xml'), apiKey);
    await cached.text();
    const again = await get(stack, aliceQuery('xml'), apiKey);
    await again.text();
    assert.match(again.headers.get('age') ?? '', /^\d+$/, 'the answer is in the cache');
    const xml = await get(stack, aliceQuery('xml'), { ...apiKey, 'content-type': 'application/xml' });
    const body = (await xml.json()) as { errors?: { extensions?: { code?: string } }[] };
    assert.equal(xml.status, 415);
    assert.equal(body.errors?.[0]?.extensions?.code, 'BAD_REQUEST');
    assert.equal(xml.headers.get('age'), null);
  });
});

describe('HTTP caching in anonymous mode', () => {
  test('answers are public and vary only on Accept', { timeout: 60_000 }, async () => {
    const stack = await startStack({
      env: { UPSTREAM_CACHE_TTL_MS_BY_OPERATION: 'GetParticipant=30000', GRAPHQL_RESPONSE_CACHE_TTL_SECONDS: '5' },
    });
    try {
      const response = await get(stack, aliceQuery('anonymous'));
      assert.equal(response.headers.get('cache-control'), 'public, max-age=5');
      assert.equal(response.headers.get('vary'), 'accept');
    } finally {
      await stack.close();
    }
  });
});

describe('freshness of cached answers', () => {
  test(
    'an answer is reused no longer than a participant stays fresh, and then executes again',
    { timeout: 60_000 },
    async () => {
      // GRAPHQL_RESPONSE_CACHE_TTL_SECONDS asks for 30 s; participants are fresh for 1 s, which wins.
      const stack = await startStack({
        env: {
          ...keyEnv,
          UPSTREAM_CACHE_TTL_MS_BY_OPERATION: 'GetParticipant=1000',
          GRAPHQL_RESPONSE_CACHE_TTL_SECONDS: '30',
        },
      });
      try {
        const first = await get(stack, aliceQuery('ttl'), apiKey);
        assert.equal(first.headers.get('cache-control'), 'private, max-age=1');
        await first.text();
        const started = Date.now();
        const cached = await get(stack, aliceQuery('ttl'), apiKey);
        assert.match(cached.headers.get('age') ?? '', /^\d+$/);
        await cached.text();
        const callsBefore = stack.emulator.stats().calls;
        await pollUntil(
          async () => {
            const response = await get(stack, aliceQuery('ttl'), apiKey);
            await response.text();
            return response.headers.get('age');
          },
          (age) => age === null,
        );
        assert.ok(Date.now() - started < 8000);
        assert.equal(stack.emulator.stats().calls, callsBefore + 1, 'the expired answer was executed again, once');
      } finally {
        await stack.close();
      }
    },
  );

  test('a stale answer is never stored: each one executes again and is no-store', { timeout: 60_000 }, async () => {
    const stack = await startStack({
      env: {
        ...keyEnv,
        UPSTREAM_CACHE_TTL_MS_BY_OPERATION: 'GetParticipant=1000',
        UPSTREAM_SERVE_STALE: 'true',
        UPSTREAM_MAX_ATTEMPTS: '1',
        UPSTREAM_BREAKER_THRESHOLD: '1000',
      },
    });
    try {
      await (await get(stack, aliceQuery('stale'), apiKey)).text();
      stack.emulator.injectFault(faults.internal('down'), { times: Infinity });
      const stale = await pollUntil(
        async () => {
          const response = await get(stack, aliceQuery('stale'), apiKey);
          return { response, body: (await response.json()) as { extensions?: { stale?: boolean } } };
        },
        ({ body }) => body.extensions?.stale === true,
        8000,
      );
      assert.equal(stale.response.headers.get('cache-control'), 'no-store');
      const callsBefore = stack.emulator.stats().calls;
      const again = await get(stack, aliceQuery('stale'), apiKey);
      assert.equal(again.headers.get('age'), null, 'not served from the response cache');
      assert.equal(((await again.json()) as { extensions?: { stale?: boolean } }).extensions?.stale, true);
      assert.equal(stack.emulator.stats().calls, callsBefore + 1, 'IVS was asked again');
    } finally {
      await stack.close();
    }
  });
});
