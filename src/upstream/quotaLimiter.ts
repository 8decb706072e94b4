import { ErrorCode, LookupError } from '../errors.js';
import type { Clock } from './clock.js';
import type { UpstreamObserver } from './observer.js';

export interface QuotaLimiterOptions {
  /** Calls allowed to start in any window of `windowMs`. */
  readonly callsPerWindow: number;
  readonly windowMs: number;
  /** Callers that may wait for a start; the next one is refused at once. */
  readonly queueMax: number;
  /** After IVS throttles, the limit climbs back by one call every this many ms; default 2000. */
  readonly recoveryStepMs?: number;
  readonly clock: Clock;
  readonly observer: Pick<UpstreamObserver, 'limiterQueueLength' | 'limiterWait'>;
}

/**
 * A sliding-log limiter with a bounded FIFO queue: however bursty the callers, no more than the
 * limit START in any window. Hand-written because the maintained limiters we looked at
 * (bottleneck, rate-limiter-flexible) use reservoirs or fixed windows that admit twice the rate
 * across a window edge, and none ties a waiter's place in the queue to its own deadline.
 */
export interface QuotaLimiter {
  /**
   * Resolves when one call may start now and counts that start. Callers wait in arrival order;
   * rejects with THROTTLED (and `retryAfterSeconds`) when the queue is full, or when `signal`
   * (the lookup's deadline) aborts before a start was free.
   */
  acquire(signal: AbortSignal): Promise<void>;
  /** IVS throttled a call anyway (someone else shares the account's quota): halve the limit, then recover step by step. */
  reportThrottled(): void;
  /** The calls currently allowed per window. */
  currentLimit(): number;
  /** Refuses every waiter and cancels the timer; for shutdown. */
  close(): void;
}

interface Waiter {
  grant(now: number): void;
  refuse(error: LookupError): void;
}

/** Builds the process-wide limiter in front of GetParticipant. */
export function createQuotaLimiter(options: QuotaLimiterOptions): QuotaLimiter {
  const { callsPerWindow, windowMs, queueMax, clock, observer } = options;
  const recoveryStepMs = options.recoveryStepMs ?? 2000;
  // Start times still inside the window, oldest first; never longer than callsPerWindow.
  const starts: number[] = [];
  const queue: Waiter[] = [];
  let reduction: { limit: number; since: number } | undefined;
  let cancelWake: (() => void) | undefined;

  const limitAt = (now: number): number => {
    if (reduction === undefined) return callsPerWindow;
    const limit = reduction.limit + Math.floor((now - reduction.since) / recoveryStepMs);
    if (limit < callsPerWindow) return limit;
    reduction = undefined;
    return callsPerWindow;
  };

  const hasRoom = (now: number): boolean => {
    while (starts.length > 0 && now - (starts[0] ?? now) >= windowMs) starts.shift();
    return starts.length < limitAt(now);
  };

  const throttled = (message: string, now: number): LookupError => {
    // Time for everyone queued (and this caller) to start at the current limit.
    const waitMs = ((queue.length + 1) / limitAt(now)) * windowMs;
    return new LookupError(ErrorCode.THROTTLED, message, {
      retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
      // Told apart from IVS's own throttling, which carries `ivs` details instead.
      reason: 'GATEWAY_QUOTA',
    });
  };

  const pump = (): void => {
    cancelWake?.();
    cancelWake = undefined;
    const now = clock.now();
    const before = queue.length;
    while (queue.length > 0 && hasRoom(now)) {
      starts.push(now);
      queue.shift()?.grant(now);
    }
    if (queue.length !== before) observer.limiterQueueLength(queue.length);
    if (queue.length === 0) return;
    // The start that has to leave the window before one more fits (the limit may have been lowered).
    const blocking = starts[starts.length - limitAt(now)] ?? now;
    let wakeAt = blocking + windowMs;
    if (reduction !== undefined) {
      const steps = Math.floor((now - reduction.since) / recoveryStepMs) + 1;
      wakeAt = Math.min(wakeAt, reduction.since + steps * recoveryStepMs);
    }
    cancelWake = clock.schedule(pump, Math.max(0, wakeAt - now));
  };

  return {
    acquire(signal) {
      const enqueuedAt = clock.now();
      if (signal.aborted) {
        return Promise.reject(
          throttled('The lookup ran out of time before IVS quota was free; retry later', enqueuedAt),
        );
      }
      // Waiters keep their turn: a newcomer only starts at once when nobody is queued.
      if (queue.length === 0 && hasRoom(enqueuedAt)) {
        starts.push(enqueuedAt);
        observer.limiterWait(0);
        return Promise.resolve();
      }
      if (queue.length >= queueMax) {
        return Promise.reject(
          throttled('Too many lookups are waiting for IVS GetParticipant quota; retry later', enqueuedAt),
        );
      }
      return new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const index = queue.indexOf(waiter);
          if (index < 0) return;
          queue.splice(index, 1);
          observer.limiterQueueLength(queue.length);
          reject(
            throttled('The lookup could not start before its deadline: IVS quota is in use; retry later', clock.now()),
          );
        };
        const waiter: Waiter = {
          grant(now) {
            signal.removeEventListener('abort', onAbort);
            observer.limiterWait(now - enqueuedAt);
            resolve();
          },
          refuse(error) {
            signal.removeEventListener('abort', onAbort);
            reject(error);
          },
        };
        signal.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
        observer.limiterQueueLength(queue.length);
        if (cancelWake === undefined) pump();
      });
    },

    reportThrottled() {
      const now = clock.now();
      // Calls already in flight when IVS pushed back report the same overload: halve once per window.
      if (reduction !== undefined && now - reduction.since < windowMs) return;
      reduction = { limit: Math.max(1, Math.floor(limitAt(now) / 2)), since: now };
    },

    currentLimit: () => limitAt(clock.now()),

    close() {
      cancelWake?.();
      cancelWake = undefined;
      for (const waiter of queue.splice(0)) {
        waiter.refuse(new LookupError(ErrorCode.UPSTREAM_UNAVAILABLE, 'The gateway is shutting down'));
      }
      observer.limiterQueueLength(0);
    },
  };
}
