import { ErrorCode, LookupError } from '../errors.js';
import type { AnswerCache, CacheHit } from './cache/answerCache.js';
import type { CachedAnswer } from './cache/entry.js';
import type { LookupRequest } from './caller.js';
import type { UpstreamBreaker } from './breaker.js';
import { startLookupDeadline, type Deadline, type DeadlineReason } from './deadline.js';
import type { Flight } from './flight/flight.js';
import type { UpstreamObserver } from './observer.js';
import type { QuotaLimiter } from './quota/limiter.js';
import type { Retrier } from './retry.js';
import type { Slot } from './quota/slots.js';

/** What one lookup cost and where its answer came from; the request adds these up (lookupStats.ts). */
export interface LookupReport {
  /** `cache`: a fresh entry (or cached NOT_FOUND); `stale`: an expired one because IVS could not answer;
   * `joined`: rode on a call already in flight; `upstream`: this lookup made the call(s). */
  readonly served: 'cache' | 'stale' | 'joined' | 'upstream';
  /** IVS calls this lookup started, retries included; calls are billed to the lookup that started them. */
  readonly upstreamCalls: number;
}

/** A lookup's answer or its failure, with its report either way. Never rejects. */
export type LookupOutcome<V> =
  | { readonly ok: true; readonly value: V; readonly report: LookupReport }
  | { readonly ok: false; readonly error: LookupError; readonly report: LookupReport };

/**
 * One IVS read operation behind the upstream protection layer, shared by all requests of the process;
 * each `lookup` asks it for one key ("read" names the kind of operation, "lookup" one use of it).
 */
export interface UpstreamRead<K, V> {
  lookup(key: K, request: LookupRequest): Promise<LookupOutcome<V>>;
}

export interface UpstreamReadDeps<K, V> {
  /** One string per distinct key: the cache and flight key. */
  readonly keyText: (key: K) => string;
  /** The one IVS call; rejects only with LookupError (src/ivs/ classifies SDK failures). */
  readonly call: (key: K, signal: AbortSignal) => Promise<V>;
  readonly cache: AnswerCache<V>;
  readonly flight: Flight<V>;
  readonly limiter: QuotaLimiter;
  readonly breaker: UpstreamBreaker;
  readonly retry: Retrier;
  /** One budget per lookup, covering quota queueing, retries and calls. */
  readonly deadlineMs: number;
  /** Serve a stale value, flagged, when IVS cannot answer. */
  readonly serveStale: boolean;
  /** A revalidation this soon after IVS last answered for the key is served from that answer. */
  readonly revalidateMinIntervalMs: number;
  readonly observer: UpstreamObserver;
  /** Wall clock in ms, the cache's; injected by tests. */
  readonly now?: () => number;
}

/**
 * The upstream protection layer of one IVS operation, built once per process. Outermost first:
 * 1. cache: a fresh answer (or a cached NOT_FOUND) never waits for anything, quota included;
 * 2. flight: one call per key in flight (fleet-wide in shared mode); its leader reads the cache again
 *    first, so an answer that landed between our read and the join costs no second call;
 * 3. retry within the lookup's deadline: each attempt below is a new call with its own quota;
 * 4. breaker gate, then the caller's fair turn at the quota: while IVS is down, lookups fail fast;
 * 5. breaker around the call, then the SDK, which never retries on its own.
 * When IVS could not answer (unavailable, timeout, throttled), a stale value is served if allowed.
 */
export function createUpstreamRead<K, V>(deps: UpstreamReadDeps<K, V>): UpstreamRead<K, V> {
  const { keyText, cache, flight, limiter, breaker, retry, deadlineMs, serveStale, observer } = deps;
  const now = deps.now ?? Date.now;

  // A call granted quota with almost no time left would time out after spending that quota: a waiter
  // gives up its place (THROTTLED) while this much of its budget remains. A free slot is still taken.
  const callReserveMs = Math.min(250, deadlineMs / 10);

  /** The cached answer this request may be served without asking IVS, if any. */
  const usable = (hit: CacheHit<V> | undefined, request: LookupRequest): CacheHit<V> | undefined => {
    if (hit?.freshness !== 'fresh') return undefined;
    if (request.cacheMode === 'use') return hit;
    // A revalidation is served a fresh answer only if IVS gave it moments ago. A paced refresh, due one
    // interval after the last began, would otherwise find the answer a few ms younger than that and skip a call.
    if (request.cacheMode === 'revalidate' && now() - hit.fetchedAt < deps.revalidateMinIntervalMs) return hit;
    return undefined;
  };

  const call = async (key: K, deadline: Deadline, request: LookupRequest, billed: { calls: number }): Promise<V> => {
    let slot: Slot | undefined;
    const waitForQuota = async () => {
      slot = await limiter.acquire({
        caller: request.caller,
        signal: AbortSignal.timeout(Math.max(0, Math.floor(deadline.remainingMs() - callReserveMs))),
      });
    };
    return breaker.run(async () => {
      billed.calls += 1;
      const started = performance.now();
      try {
        const value = await deps.call(key, deadline.signal);
        observer.upstreamCall('OK', performance.now() - started);
        return value;
      } catch (error) {
        // Still outstanding when the lookup's budget ran out: IVS did not answer in time, whatever the SDK
        // called the abort. The breaker counts it, so a hanging IVS opens the circuit.
        const failure = deadline.expired() ? deadlineFailure(error, deadline.reason) : asLookupError(error);
        observer.upstreamCall(failure.code, performance.now() - started);
        // Our own limiter kept to the quota, so someone else shares the account: slow down.
        if (failure.code === ErrorCode.THROTTLED && failure.details.ivs?.httpStatus === 429) limiter.reportThrottled();
        throw failure;
      } finally {
        slot?.ended();
      }
    }, waitForQuota);
  };

  // Runs once per key however many lookups wait for it.
  const fetch = async (
    key: K,
    text: string,
    deadline: Deadline,
    request: LookupRequest,
    billed: { calls: number },
  ): Promise<V> => {
    const landed = usable(await cache.read(text), request);
    if (landed !== undefined) return answerFrom(landed.answer);
    try {
      const value = await retry(() => call(key, deadline, request, billed), deadline);
      await cache.write(text, { kind: 'value', value });
      return value;
    } catch (error) {
      if (error instanceof LookupError && error.code === ErrorCode.NOT_FOUND) {
        await cache.write(text, { kind: 'not_found', message: error.message, ivs: error.details.ivs });
      }
      throw error;
    }
  };

  // Another replica made the call: what it left in the shared cache.
  const settledElsewhere = async (text: string): Promise<V | undefined> => {
    const hit = await cache.read(text);
    return hit?.freshness === 'fresh' ? answerFrom(hit.answer) : undefined;
  };

  return {
    async lookup(key, request) {
      const text = keyText(key);
      const hit = await cache.read(text);
      const served = usable(hit, request);
      if (served !== undefined) {
        observer.cacheLookup(served.answer.kind === 'value' ? 'hit' : 'negative_hit');
        return fromCache(served.answer);
      }
      if (request.requestDeadline?.remainingMs() === 0) {
        return { ok: false, error: deadlineFailure(undefined, 'REQUEST_DEADLINE'), report: noCallReport };
      }
      const deadline = startLookupDeadline(deadlineMs, request.requestDeadline);
      const billed = { calls: 0 };
      const flown = flight.run(text, {
        start: () => fetch(key, text, deadline, request, billed),
        settledElsewhere: () => settledElsewhere(text),
        signal: deadline.signal,
      });
      const { joined } = flown;
      // A lookup that joins another's call still stops at its own deadline, which may be its request's.
      const result = joined ? untilDeadline(flown.result, deadline) : flown.result;
      if (joined) observer.flightJoined();
      // Read once the call settled: `billed` counts until then.
      const report = (): LookupReport => ({ served: joined ? 'joined' : 'upstream', upstreamCalls: billed.calls });
      try {
        const value = await result;
        observer.cacheLookup('miss');
        return { ok: true, value, report: report() };
      } catch (error) {
        const failure = asLookupError(error);
        const stale = request.cacheMode === 'use' && serveStale && ivsCouldNotAnswer(failure) ? hit : undefined;
        if (stale?.answer.kind === 'value') {
          observer.cacheLookup('stale');
          return { ok: true, value: stale.answer.value, report: { ...report(), served: 'stale' } };
        }
        observer.cacheLookup('miss');
        return { ok: false, error: failure, report: report() };
      }
    },
  };
}

// A cached NOT_FOUND is a failure like IVS's own, answered without a call.
function fromCache<V>(answer: CachedAnswer<V>): LookupOutcome<V> {
  const report: LookupReport = { served: 'cache', upstreamCalls: 0 };
  if (answer.kind === 'value') return { ok: true, value: answer.value, report };
  return { ok: false, error: notFoundFrom(answer), report };
}

function answerFrom<V>(answer: CachedAnswer<V>): V {
  if (answer.kind === 'value') return answer.value;
  throw notFoundFrom(answer);
}

function notFoundFrom(answer: Extract<CachedAnswer<unknown>, { kind: 'not_found' }>): LookupError {
  return new LookupError(ErrorCode.NOT_FOUND, answer.message, { ...(answer.ivs && { ivs: answer.ivs }) });
}

const couldNotAnswerCodes = new Set<ErrorCode>([
  ErrorCode.UPSTREAM_UNAVAILABLE,
  ErrorCode.UPSTREAM_TIMEOUT,
  ErrorCode.THROTTLED,
]);

function ivsCouldNotAnswer(error: LookupError): boolean {
  return couldNotAnswerCodes.has(error.code);
}

const noCallReport: LookupReport = { served: 'upstream', upstreamCalls: 0 };

function untilDeadline<V>(result: Promise<V>, deadline: Deadline): Promise<V> {
  if (deadline.signal.aborted) return Promise.reject(deadlineFailure(deadline.signal.reason, deadline.reason));
  return new Promise<V>((resolve, reject) => {
    const expire = () => reject(deadlineFailure(deadline.signal.reason, deadline.reason));
    deadline.signal.addEventListener('abort', expire, { once: true });
    result.then(resolve, reject).finally(() => deadline.signal.removeEventListener('abort', expire));
  });
}

function deadlineFailure(cause: unknown, reason: DeadlineReason): LookupError {
  const budget = reason === 'DEADLINE' ? 'the lookup deadline' : "the request's deadline";
  return new LookupError(ErrorCode.UPSTREAM_TIMEOUT, `IVS did not answer within ${budget}`, {
    reason,
    ivs: { retryable: false },
    cause,
  });
}

// Sources promise LookupError only; anything else is a bug, masked by the formatter.
function asLookupError(error: unknown): LookupError {
  if (error instanceof LookupError) return error;
  return new LookupError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error', { cause: error });
}
