import { ErrorCode, LookupError } from '../errors.js';
import type { Caller } from './caller.js';
import type { UpstreamBreaker } from './breaker.js';
import { startDeadline } from './deadline.js';
import type { UpstreamObserver } from './observer.js';
import type { QuotaLimiter } from './quota/limiter.js';
import type { Slot } from './quota/slots.js';

/** A write's answer or its failure. Never rejects. */
export type WriteOutcome<V> =
  | { readonly ok: true; readonly value: V }
  | { readonly ok: false; readonly error: LookupError; readonly upstreamCalls: number };

/** One IVS write operation behind its quota and breaker, shared by all requests of the process. */
export interface UpstreamWrite<I, V> {
  write(input: I, caller: Caller): Promise<WriteOutcome<V>>;
}

export interface UpstreamWriteDeps<I, V> {
  /** The one IVS call; rejects only with LookupError (src/ivs/ classifies SDK failures). */
  readonly call: (input: I, signal: AbortSignal) => Promise<V>;
  readonly limiter: QuotaLimiter;
  readonly breaker: UpstreamBreaker;
  /** One budget per write, covering the quota wait and the call. */
  readonly deadlineMs: number;
  /** A waiter gives up its place (THROTTLED) while this much of its budget remains: the time one call may take. */
  readonly callReserveMs: number;
  readonly observer: Pick<UpstreamObserver, 'upstreamCall'>;
}

/**
 * The upstream layer of one IVS write operation. Outermost first:
 * 1. breaker gate, then the caller's fair turn at the operation's own quota (fleet-wide in shared mode);
 *    a waiter that could no longer give its one call a whole attempt's time gives up THROTTLED with
 *    `retryAfterSeconds` (a write is never retried, so a call started late would only time out, count
 *    against the breaker and leave the caller not knowing whether it happened);
 * 2. the call, under the breaker, with what is left of the deadline.
 * No cache and no flight: every write is its own. No retry either: a CreateParticipantToken that timed
 * out may still have made a token, and a retry would make a second one; the client decides.
 */
export function createUpstreamWrite<I, V>(deps: UpstreamWriteDeps<I, V>): UpstreamWrite<I, V> {
  const { limiter, breaker, deadlineMs, callReserveMs, observer } = deps;
  return {
    async write(input, caller) {
      const deadline = startDeadline(deadlineMs);
      let slot: Slot | undefined;
      let calls = 0;
      const waitForQuota = async () => {
        slot = await limiter.acquire({
          caller,
          signal: AbortSignal.timeout(Math.max(0, Math.floor(deadline.remainingMs() - callReserveMs))),
        });
      };
      try {
        const value = await breaker.run(async () => {
          calls += 1;
          const started = performance.now();
          try {
            const answer = await deps.call(input, deadline.signal);
            observer.upstreamCall('OK', performance.now() - started);
            return answer;
          } catch (error) {
            const failure = deadline.expired() ? deadlineFailure(error) : asLookupError(error);
            observer.upstreamCall(failure.code, performance.now() - started);
            if (failure.code === ErrorCode.THROTTLED && failure.details.ivs?.httpStatus === 429) {
              limiter.reportThrottled();
            }
            throw failure;
          } finally {
            slot?.ended();
          }
        }, waitForQuota);
        return { ok: true, value };
      } catch (error) {
        return { ok: false, error: asLookupError(error), upstreamCalls: calls };
      }
    },
  };
}

function deadlineFailure(cause: unknown): LookupError {
  return new LookupError(
    ErrorCode.UPSTREAM_TIMEOUT,
    'IVS did not answer within the deadline; the write may or may not have happened',
    { reason: 'DEADLINE', ivs: { retryable: false }, cause },
  );
}

function asLookupError(error: unknown): LookupError {
  if (error instanceof LookupError) return error;
  return new LookupError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error', { cause: error });
}
