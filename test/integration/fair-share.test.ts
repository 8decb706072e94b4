import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashApiKey } from '../../src/auth/apiKeys.js';
import { audience, issuer, serveJwks, signingKey, signToken } from '../helpers/jwt.js';
import { demoParticipantsQuery } from '../helpers/queries.js';
import { demo, startStack, withStack, type Stack } from '../helpers/stack.js';
import { participantKeyText } from '../../src/model.js';

// Two tenants of one gateway, with IVS's real 5 TPS GetParticipant quota on at the emulator.
const keys = { greedy: 'greedy-key-0123456789', modest: 'modest-key-0123456789', frozen: 'frozen-key-0123456789' };
const apiKeys = JSON.stringify([
  { name: 'greedy', sha256: hashApiKey(keys.greedy), stages: ['*'] },
  { name: 'modest', sha256: hashApiKey(keys.modest), stages: ['*'] },
  { name: 'frozen', sha256: hashApiKey(keys.frozen), stages: ['*'], revalidate: false },
]);
const generatedId = (index: number) => `p-${String(index).padStart(4, '0')}`;

type Extensions = Record<string, unknown>;
type Answer = {
  data?: Record<string, { participantId: string } | null> | null;
  errors?: { extensions?: Extensions }[];
};

function withTenants(env: Record<string, string>, run: (stack: Stack) => Promise<void>): Promise<void> {
  const emulator = { quota: { callsPerSecond: 5 }, generatedParticipants: { ...demo, count: 200 } };
  return withStack({ env: { AUTH_MODE: 'api-key', AUTH_API_KEYS: apiKeys, ...env }, emulator }, run);
}

/** One query asking for `ids` (aliased p0, p1, ...) with the given API key and headers. */
async function ask(stack: Stack, key: string, ids: string[], headers: Record<string, string> = {}) {
  const started = performance.now();
  const response = await stack.graphql(demoParticipantsQuery(ids), undefined, { 'x-api-key': key, ...headers });
  return { body: response.body as Answer, ms: performance.now() - started };
}

const callsFor = (stack: Stack, participantId: string) =>
  stack.emulator.stats().byKey[participantKeyText({ ...demo, participantId })] ?? 0;

describe('fair share between callers', () => {
  test("one caller's single cold lookup does not wait behind another caller's 40", async () => {
    await withTenants({ UPSTREAM_QUEUE_MAX_PER_CALLER: '50', UPSTREAM_DEADLINE_MS: '4000' }, async (stack) => {
      const greedy = ask(
        stack,
        keys.greedy,
        Array.from({ length: 40 }, (_, i) => generatedId(i)),
      );
      // The greedy request holds the quota: five calls made, 35 lookups queued behind them.
      await stack.emulator.waitForCalls(5);
      const modest = await ask(stack, keys.modest, [generatedId(100)]);
      assert.equal(modest.body.errors, undefined);
      assert.equal(modest.body.data?.['p0']?.participantId, generatedId(100));
      // Fair: about one quota window (1.1 s) at most. FIFO would put it behind 35 lookups: about 8 s.
      assert.ok(modest.ms < 3000, `the modest caller waited ${Math.round(modest.ms)} ms`);
      await greedy;
      assert.equal(stack.emulator.stats().throttled, 0);
    });
  });

  test('a caller over its share of the queue is refused CALLER_QUEUE_FULL while another caller still gets its answer', async () => {
    await withTenants({ UPSTREAM_QUEUE_MAX_PER_CALLER: '3', UPSTREAM_DEADLINE_MS: '4000' }, async (stack) => {
      const greedy = ask(
        stack,
        keys.greedy,
        Array.from({ length: 12 }, (_, i) => generatedId(i)),
      );
      await stack.emulator.waitForCalls(5);
      const modest = await ask(stack, keys.modest, [generatedId(100)]);
      assert.equal(modest.body.errors, undefined);
      const { body } = await greedy;
      const reasons = (body.errors ?? []).map((error) => error.extensions?.['reason']);
      // 5 start at once, 3 wait, 4 are refused on arrival.
      assert.deepEqual(reasons, Array<string>(4).fill('CALLER_QUEUE_FULL'));
      assert.ok((body.errors ?? []).every((error) => error.extensions?.['code'] === 'THROTTLED'));
      assert.ok((body.errors ?? []).every((error) => Number(error.extensions?.['retryAfterSeconds']) >= 1));
      const metrics = await (await fetch(`${stack.url}/metrics`)).text();
      assert.match(
        metrics,
        /ivs_limiter_refused_total\{operation="GetParticipant",reason="CALLER_QUEUE_FULL",caller="greedy"\} 4/,
      );
      assert.match(metrics, /ivs_limiter_wait_seconds_count\{operation="GetParticipant",caller="modest"\} 1/);
    });
  });

  test('a no-cache flood from 10 clients revalidates each participant at most once per interval and does not starve another caller', async () => {
    await withTenants({ UPSTREAM_REVALIDATE_MIN_INTERVAL_MS: '1000' }, async (stack) => {
      const noCache = { 'cache-control': 'no-cache' };
      const floodIds = [generatedId(0), generatedId(1)];
      const floodFor = 2500;
      const floodStarted = performance.now();
      let floodRequests = 0;
      const flood = Promise.all(
        Array.from({ length: 10 }, async () => {
          while (performance.now() - floodStarted < floodFor) {
            await ask(stack, keys.greedy, floodIds, noCache);
            floodRequests += 1;
          }
        }),
      );
      const modestAnswers = [];
      for (const index of [100, 101, 102]) modestAnswers.push(await ask(stack, keys.modest, [generatedId(index)]));
      await flood;
      for (const answer of modestAnswers) {
        assert.equal(answer.body.errors, undefined);
        assert.ok(answer.ms < 3000, `the modest caller waited ${Math.round(answer.ms)} ms`);
      }
      const seconds = (performance.now() - floodStarted) / 1000;
      assert.ok(floodRequests > 20, `the flood made ${floodRequests} requests`);
      for (const id of floodIds) {
        // One call at most per started interval, however many revalidations arrive.
        assert.ok(callsFor(stack, id) <= Math.ceil(seconds) + 1, `${id} cost ${callsFor(stack, id)} calls`);
      }
      assert.equal(stack.emulator.stats().throttled, 0);
    });
  });

  test('a revalidation within the minimum interval costs no call; a caller denied revalidation is served the cache', async () => {
    await withTenants({ UPSTREAM_REVALIDATE_MIN_INTERVAL_MS: '60000' }, async (stack) => {
      const noCache = { 'cache-control': 'no-cache' };
      assert.equal((await ask(stack, keys.modest, ['alice'])).body.errors, undefined);
      assert.equal(callsFor(stack, 'alice'), 1);
      const again = await ask(stack, keys.modest, ['alice'], noCache);
      assert.equal(again.body.data?.['p0']?.participantId, 'alice');
      assert.equal(callsFor(stack, 'alice'), 1, 'revalidated within the interval: served from the fresh copy');
    });
    await withTenants({ UPSTREAM_REVALIDATE_MIN_INTERVAL_MS: '0' }, async (stack) => {
      const noCache = { 'cache-control': 'no-cache' };
      await ask(stack, keys.frozen, ['alice']);
      await ask(stack, keys.frozen, ['alice'], noCache);
      assert.equal(callsFor(stack, 'alice'), 1, 'a key with revalidate: false has its no-cache ignored');
      await ask(stack, keys.modest, ['alice'], noCache);
      assert.equal(callsFor(stack, 'alice'), 2, 'another key may revalidate');
    });
  });
});

describe('quota share from a JWT', () => {
  test('a token with ivs_revalidate: false has its no-cache ignored; a token without the claim revalidates', async () => {
    const key = await signingKey('RS256', 'fair-1');
    const jwks = await serveJwks([key.publicJwk]);
    const stack = await startStack({
      env: {
        AUTH_MODE: 'jwt',
        AUTH_JWKS_URL: jwks.url,
        AUTH_ISSUER: issuer,
        AUTH_AUDIENCE: audience,
        UPSTREAM_REVALIDATE_MIN_INTERVAL_MS: '0',
      },
    });
    try {
      const bearer = async (claims: Record<string, unknown>) => ({
        authorization: `Bearer ${await signToken(key, { ivs_stages: ['*'], ...claims })}`,
      });
      const revalidate = { 'cache-control': 'no-cache' };
      const query = `{ participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "alice") { userId } }`;
      const ok = (response: { body: { data?: unknown } }) => assert.ok(response.body.data, 'answered');
      ok(await stack.graphql(query, undefined, await bearer({})));
      assert.equal(stack.emulator.stats().calls, 1);
      const frozen = await bearer({ ivs_revalidate: false, ivs_weight: 2 });
      ok(await stack.graphql(query, undefined, { ...frozen, ...revalidate }));
      assert.equal(stack.emulator.stats().calls, 1, 'denied revalidation: served from the cache');
      ok(await stack.graphql(query, undefined, { ...(await bearer({})), ...revalidate }));
      assert.equal(stack.emulator.stats().calls, 2, 'allowed to revalidate: a new call');
    } finally {
      await stack.close();
      await jwks.close();
    }
  });
});
