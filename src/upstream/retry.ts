import { setTimeout as sleep } from 'node:timers/promises';
import { ExponentialBackoff, decorrelatedJitterGenerator, type IBackoff } from 'cockatiel';
import { LookupError } from '../errors.js';
import type { Deadline } from './deadline.js';

export interface RetryOptions {
  /** Calls per lookup, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Waits out a backoff; default an unref'd timer. Tests pass one that records and returns at once. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const unrefSleep = (ms: number): Promise<void> => sleep(ms, undefined, { ref: false });

/**
 * Runs `attempt` again after a retryable failure (throttling, 5xx, network, timeout: what
 * `LookupError.details.ivs.retryable` says), with capped exponential backoff and decorrelated jitter.
 * It gives up with the last failure once attempts run out or the next one could not start before the deadline.
 */
export type Retrier = <T>(attempt: () => Promise<T>, deadline: Pick<Deadline, 'remainingMs'>) => Promise<T>;

/**
 * The backoff is cockatiel's; the loop is ours because cockatiel 3's RetryPolicy sleeps on a timer
 * the deadline cannot cut short and has no way to skip a retry whose backoff would overrun it.
 */
export function createRetrier({
  maxAttempts,
  baseDelayMs,
  maxDelayMs,
  sleep: wait = unrefSleep,
}: RetryOptions): Retrier {
  const backoffs = new ExponentialBackoff({
    initialDelay: baseDelayMs,
    maxDelay: maxDelayMs,
    generator: decorrelatedJitterGenerator,
  });
  return async (attempt, deadline) => {
    let backoff: IBackoff<unknown> | undefined;
    for (let attemptNumber = 1; ; attemptNumber += 1) {
      try {
        return await attempt();
      } catch (error) {
        if (attemptNumber >= maxAttempts || !isRetryable(error)) throw error;
        backoff = backoff === undefined ? backoffs.next() : backoff.next(undefined);
        if (backoff.duration >= deadline.remainingMs()) throw error;
        await wait(backoff.duration);
      }
    }
  };
}

function isRetryable(error: unknown): boolean {
  return error instanceof LookupError && error.details.ivs?.retryable === true;
}
