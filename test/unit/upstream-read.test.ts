import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, LookupError } from '../../src/errors.js';
import type { ParticipantKey } from '../../src/model.js';
import type { IvsCall } from '../../src/ivs/operations/operation.js';
import { createUpstreamBreaker } from '../../src/upstream/breaker.js';
import { systemClock } from '../../src/clock.js';
import { participantKeyText, type ParticipantModel } from '../../src/model.js';
import { createAnswerCache } from '../../src/upstream/cache/answerCache.js';
import type { CacheEntry } from '../../src/upstream/cache/entry.js';
import type { CacheMode, Caller } from '../../src/upstream/caller.js';
import { createLocalFlight } from '../../src/upstream/flight/flight.js';
import { participantTtls } from '../../src/upstream/cache/codecs.js';
import { createLookupStats, recordLookup, type LookupStats } from '../../src/upstream/lookupStats.js';
import { createMemoryStore } from '../../src/upstream/cache/memoryStore.js';
import type { CacheResult, UpstreamObserver } from '../../src/upstream/observer.js';
import { createQuotaLimiter, type QuotaWaiter } from '../../src/upstream/quota/limiter.js';
import { createRetrier } from '../../src/upstream/retry.js';
import { createLocalSlots } from '../../src/upstream/quota/slots.js';
import { createUpstreamRead } from '../../src/upstream/read.js';
import { createFifoQueue } from '../../src/upstream/quota/waitQueue.js';

const key = (participantId: string): ParticipantKey => ({
  stageArn: 'arn:aws:ivs:us-east-1:123456789012:stage/DemoStage01',
  sessionId: 'st-DemoSession01',
  participantId,
});

/** An in-memory IVS: answers from `participants`, or fails with `failure` while it is set; counts calls. */
function fakeSource() {
  const state = { calls: 0, failure: undefined as LookupError | undefined };
  const source: { getParticipant: IvsCall<ParticipantKey, ParticipantModel> } = {
    async getParticipant(k) {
      state.calls += 1;
      await Promise.resolve();
      if (state.failure) throw state.failure;
      return { ...k, userId: `user-${k.participantId}`, state: 'CONNECTED' };
    },
  };
  return { source, state };
}

interface Ttls {
  connectedTtlMs: number;
  disconnectedTtlMs: number;
  notFoundTtlMs: number;
  staleMs: number;
}

const caller: Caller = { id: 'api-key:test', label: 'test', weight: 1, mayRevalidate: true };

function setup(ttls: Partial<Ttls> = {}) {
  const { source, state } = fakeSource();
  const cacheResults: CacheResult[] = [];
  const observer: UpstreamObserver = {
    upstreamCall() {},
    cacheLookup: (result) => void cacheResults.push(result),
    flightJoined() {},
    limiterQueueLength() {},
    limiterWait() {},
    limiterRefused() {},
    breakerState() {},
  };
  const participants = createUpstreamRead<ParticipantKey, ParticipantModel>({
    keyText: participantKeyText,
    call: (k, signal) => source.getParticipant(k, signal),
    cache: createAnswerCache({
      store: createMemoryStore<CacheEntry<ParticipantModel>>({ maxEntries: 100, maxBytes: 1_000_000 }),
      namespace: 'GetParticipant',
      ttls: participantTtls({
        connectedTtlMs: 60_000,
        disconnectedTtlMs: 60_000,
        notFoundTtlMs: 60_000,
        staleMs: 60_000,
        maxEntries: 100,
        maxBytes: 1_000_000,
        ...ttls,
      }),
      onStoreError: (error) => assert.fail(String(error)),
    }),
    flight: createLocalFlight(),
    limiter: createQuotaLimiter({
      slots: createLocalSlots({ callsPerWindow: 5, windowMs: 1000, clock: systemClock }),
      queue: createFifoQueue<QuotaWaiter>(),
      queueMax: 10,
      queueMaxPerCaller: 10,
      windowMs: 1000,
      clock: systemClock,
      observer,
    }),
    breaker: createUpstreamBreaker({ threshold: 1, coolDownMs: 60_000, observer }),
    retry: createRetrier({ maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 }),
    deadlineMs: 5000,
    serveStale: true,
    revalidateMinIntervalMs: 0,
    observer,
  });
  /** One lookup as the request's loader makes it: the report added to `stats`, failures thrown. */
  const lookup = async (k: ParticipantKey, request: { stats: LookupStats; cacheMode: CacheMode }) => {
    const outcome = await participants.lookup(k, { caller, cacheMode: request.cacheMode });
    recordLookup(request.stats, outcome.report, outcome.ok ? undefined : outcome.error.code);
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  };
  return { lookup, state, cacheResults };
}

const unavailable = new LookupError(ErrorCode.UPSTREAM_UNAVAILABLE, 'IVS failed', {
  ivs: { httpStatus: 500, retryable: true },
});

describe('upstream read: per-request attribution', () => {
  test('concurrent lookups of one key from two requests share one call, billed to the request that started it', async () => {
    const { lookup, state, cacheResults } = setup();
    const first = createLookupStats();
    const second = createLookupStats();
    const [a, b] = await Promise.all([
      lookup(key('alice'), { stats: first, cacheMode: 'use' }),
      lookup(key('alice'), { stats: second, cacheMode: 'use' }),
    ]);
    assert.deepEqual(a, b);
    assert.equal(state.calls, 1);
    assert.deepEqual(first, { ...createLookupStats(), lookups: 1, upstreamCalls: 1 });
    assert.deepEqual(second, { ...createLookupStats(), lookups: 1, joined: 1 });

    const third = createLookupStats();
    await lookup(key('alice'), { stats: third, cacheMode: 'use' });
    assert.deepEqual(third, { ...createLookupStats(), lookups: 1, cacheHits: 1 });
    assert.equal(state.calls, 1);
    assert.deepEqual(cacheResults, ['miss', 'miss', 'hit']);
  });

  test('a revalidating lookup skips the cache read but refreshes the entry', async () => {
    const { lookup, state } = setup();
    const stats = createLookupStats();
    await lookup(key('alice'), { stats, cacheMode: 'use' });
    await lookup(key('alice'), { stats, cacheMode: 'revalidate' });
    await lookup(key('alice'), { stats, cacheMode: 'use' });
    assert.equal(state.calls, 2);
    assert.deepEqual(stats, { ...createLookupStats(), lookups: 3, upstreamCalls: 2, cacheHits: 1 });
  });
});

describe('upstream read: when IVS fails', () => {
  test('an expired participant is served stale and counted; a revalidating request gets the failure', async () => {
    const { lookup, state, cacheResults } = setup({ connectedTtlMs: 0 });
    await lookup(key('alice'), { stats: createLookupStats(), cacheMode: 'use' });
    state.failure = unavailable;

    const stats = createLookupStats();
    const stale = await lookup(key('alice'), { stats, cacheMode: 'use' });
    assert.equal(stale.participantId, 'alice');
    assert.deepEqual(stats, { ...createLookupStats(), lookups: 1, upstreamCalls: 1, staleHits: 1 });
    assert.equal(cacheResults.at(-1), 'stale');

    await assert.rejects(lookup(key('alice'), { stats: createLookupStats(), cacheMode: 'revalidate' }), {
      code: ErrorCode.UPSTREAM_UNAVAILABLE,
    });
  });

  test('once the breaker is open, lookups fail fast without calling IVS', async () => {
    const { lookup, state } = setup();
    state.failure = unavailable;
    await assert.rejects(lookup(key('bob'), { stats: createLookupStats(), cacheMode: 'use' }), {
      code: ErrorCode.UPSTREAM_UNAVAILABLE,
    });
    const stats = createLookupStats();
    await assert.rejects(lookup(key('carol'), { stats, cacheMode: 'use' }), (error: unknown) => {
      assert.ok(error instanceof LookupError);
      assert.equal(error.details.reason, 'CIRCUIT_OPEN');
      return true;
    });
    assert.equal(state.calls, 1);
    assert.equal(stats.upstreamCalls, 0);
  });

  test('NOT_FOUND is cached and answered again without a call', async () => {
    const { lookup, state, cacheResults } = setup();
    state.failure = new LookupError(ErrorCode.NOT_FOUND, 'no such participant', {
      ivs: { httpStatus: 404, retryable: false },
    });
    for (let i = 0; i < 2; i += 1) {
      await assert.rejects(lookup(key('ghost'), { stats: createLookupStats(), cacheMode: 'use' }), {
        code: ErrorCode.NOT_FOUND,
        message: 'no such participant',
      });
    }
    assert.equal(state.calls, 1);
    assert.deepEqual(cacheResults, ['miss', 'negative_hit']);
  });
});
