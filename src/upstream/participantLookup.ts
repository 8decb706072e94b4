import { ErrorCode, LookupError } from '../errors.js';
import type { ParticipantSource } from '../ivs/participantSource.js';
import { participantKeyText, type ParticipantKey, type ParticipantModel } from '../model.js';
import type { CachedAnswer } from './cacheEntry.js';
import type { UpstreamBreaker } from './circuitBreaker.js';
import { createCoalescer } from './coalescer.js';
import { startDeadline, type Deadline } from './deadline.js';
import type { LookupStats } from './lookupStats.js';
import type { UpstreamObserver } from './observer.js';
import type { ParticipantCache } from './participantCache.js';
import type { QuotaLimiter } from './quotaLimiter.js';
import type { Retrier } from './retry.js';

/** `revalidate`: the request sent `Cache-Control: no-cache`; the cache is not read (but is written) and nothing is served stale. */
export type CacheMode = 'use' | 'revalidate';

/** What a lookup needs to know about the GraphQL request it serves. */
export interface LookupRequest {
  readonly stats: LookupStats;
  readonly cacheMode: CacheMode;
}

/** Participants for the per-request loaders, within IVS's quota. Rejects only with LookupError. */
export interface ParticipantLookup {
  lookup(key: ParticipantKey, request: LookupRequest): Promise<ParticipantModel>;
}

export interface ParticipantLookupDeps {
  readonly source: ParticipantSource;
  readonly cache: ParticipantCache;
  readonly limiter: QuotaLimiter;
  readonly breaker: UpstreamBreaker;
  readonly retry: Retrier;
  /** One budget per lookup, covering quota queueing, retries and calls. */
  readonly deadlineMs: number;
  /** Serve a stale participant, flagged, when IVS cannot answer. */
  readonly serveStale: boolean;
  readonly observer: UpstreamObserver;
}

/**
 * The upstream protection layer, built once per process. Outermost first:
 * 1. cache: a fresh answer (or a cached NOT_FOUND) never waits for anything, quota included;
 * 2. coalescer: one call per key in flight, so the quota queue holds at most one entry per key;
 * 3. retry within the lookup's deadline: each attempt below is a new call with its own quota;
 * 4. breaker gate, then quota limiter: while IVS is down, lookups fail fast instead of queueing;
 * 5. breaker around the call, then the SDK, which never retries on its own.
 * When IVS could not answer (unavailable, timeout, throttled), a stale participant is served if allowed.
 */
export function createParticipantLookup(deps: ParticipantLookupDeps): ParticipantLookup {
  const { source, cache, limiter, breaker, retry, deadlineMs, serveStale, observer } = deps;
  const inFlight = createCoalescer<ParticipantModel>();

  // A call granted quota with almost no time left would time out after spending that quota: a waiter
  // gives up its place (THROTTLED) while this much of its budget remains. A free slot is still taken.
  const callReserveMs = Math.min(250, deadlineMs / 10);

  const call = async (key: ParticipantKey, deadline: Deadline, stats: LookupStats): Promise<ParticipantModel> => {
    const waitForQuota = () =>
      limiter.acquire(AbortSignal.timeout(Math.max(0, Math.floor(deadline.remainingMs() - callReserveMs))));
    return breaker.run(async () => {
      stats.upstreamCalls += 1;
      const started = performance.now();
      try {
        const participant = await source.getParticipant(key, deadline.signal);
        observer.upstreamCall('OK', performance.now() - started);
        return participant;
      } catch (error) {
        const failure = asLookupError(error);
        observer.upstreamCall(failure.code, performance.now() - started);
        // Our own limiter kept to the quota, so someone else shares the account: slow down.
        if (failure.code === ErrorCode.THROTTLED && failure.details.ivs?.httpStatus === 429) limiter.reportThrottled();
        throw failure;
      }
    }, waitForQuota);
  };

  // Runs once per key however many lookups wait for it; the calls are billed to the lookup that started it.
  const fetch = async (key: ParticipantKey, stats: LookupStats): Promise<ParticipantModel> => {
    const deadline = startDeadline(deadlineMs);
    try {
      const participant = await retry(() => call(key, deadline, stats), deadline);
      await cache.write(key, { kind: 'participant', participant });
      return participant;
    } catch (error) {
      if (error instanceof LookupError && error.code === ErrorCode.NOT_FOUND) {
        await cache.write(key, { kind: 'not_found', message: error.message, ivs: error.details.ivs });
      }
      throw error;
    }
  };

  return {
    async lookup(key, { stats, cacheMode }) {
      stats.lookups += 1;
      const cached = cacheMode === 'use' ? await cache.read(key) : undefined;
      if (cached?.freshness === 'fresh') {
        stats.cacheHits += 1;
        observer.cacheLookup(cached.answer.kind === 'participant' ? 'hit' : 'negative_hit');
        return answerFrom(cached.answer);
      }
      const { result, joined } = inFlight.run(participantKeyText(key), () => fetch(key, stats));
      if (joined) {
        stats.coalesced += 1;
        observer.coalesced();
      }
      try {
        const participant = await result;
        observer.cacheLookup('miss');
        return participant;
      } catch (error) {
        if (serveStale && cached?.answer.kind === 'participant' && ivsCouldNotAnswer(error)) {
          stats.staleHits += 1;
          observer.cacheLookup('stale');
          return cached.answer.participant;
        }
        observer.cacheLookup('miss');
        if (error instanceof LookupError && error.code === ErrorCode.THROTTLED) stats.throttled += 1;
        throw error;
      }
    },
  };
}

function answerFrom(answer: CachedAnswer): ParticipantModel {
  if (answer.kind === 'participant') return answer.participant;
  throw new LookupError(ErrorCode.NOT_FOUND, answer.message, { ...(answer.ivs && { ivs: answer.ivs }) });
}

const couldNotAnswerCodes = new Set<ErrorCode>([
  ErrorCode.UPSTREAM_UNAVAILABLE,
  ErrorCode.UPSTREAM_TIMEOUT,
  ErrorCode.THROTTLED,
]);

function ivsCouldNotAnswer(error: unknown): boolean {
  return error instanceof LookupError && couldNotAnswerCodes.has(error.code);
}

// ParticipantSource promises LookupError only; anything else is a bug, masked by the formatter.
function asLookupError(error: unknown): LookupError {
  if (error instanceof LookupError) return error;
  return new LookupError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error', { cause: error });
}
