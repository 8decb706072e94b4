import { ErrorCode, LookupError } from '../../errors.js';
import type { Caller } from '../caller.js';
import type { Clock } from '../../clock.js';
import type { UpstreamObserver } from '../observer.js';
import type { Slot, SlotSource } from './slots.js';
import type { WaitQueue, Waiter } from './waitQueue.js';

export interface QuotaLimiterOptions {
  /** Where starts come from: this process's window, or the fleet's in Redis. */
  readonly slots: SlotSource;
  /** The waiting order: fair by caller, or one FIFO line. */
  readonly queue: WaitQueue<QuotaWaiter>;
  /** Lookups that may wait for a start; the next one is refused at once. */
  readonly queueMax: number;
  /** Lookups one caller may have waiting; the next one of that caller is refused while others still queue. */
  readonly queueMaxPerCaller: number;
  /** Length of the quota window, for retryAfterSeconds. */
  readonly windowMs: number;
  readonly clock: Clock;
  readonly observer: Pick<UpstreamObserver, 'limiterQueueLength' | 'limiterWait' | 'limiterRefused'>;
}

export interface AcquireRequest {
  readonly caller: Caller;
  /** Aborts when the lookup could no longer use a start (its deadline, less the time a call needs). */
  readonly signal: AbortSignal;
}

/**
 * The quota steward of one quota domain: lookups wait here, each caller's in arrival order, and are
 * granted starts from the slot source as fast as it allows. No waiter is granted a start after its
 * signal aborted, so no quota is spent on a call that could not finish.
 */
export interface QuotaLimiter {
  /**
   * Resolves when one call may start now and counts that start; call the slot's `ended()` when the call
   * ends (queued lookups are looked at again then). Rejects with THROTTLED (and
   * `retryAfterSeconds`) when the queue or the caller's share of it is full, or when `signal` aborts first.
   */
  acquire(request: AcquireRequest): Promise<Slot>;
  /** IVS throttled a call anyway (someone else shares the account's quota). */
  reportThrottled(): void;
  /** Refuses every waiter and cancels the timer; for shutdown. */
  close(): void;
}

/** A lookup waiting for its start: the wait queue's Waiter, and how to answer it. */
export interface QuotaWaiter extends Waiter {
  grant(slot: Slot): void;
  refuse(error: LookupError): void;
}

/** Builds the limiter in front of one IVS operation. */
export function createQuotaLimiter(options: QuotaLimiterOptions): QuotaLimiter {
  const { slots, queue, queueMax, queueMaxPerCaller, windowMs, clock, observer } = options;
  let cancelWake: (() => void) | undefined;
  let pumping = false;
  let closed = false;

  const throttled = (message: string, reason: string, caller: Caller): LookupError => {
    observer.limiterRefused(reason, caller.label);
    // Time for everyone queued (and this caller) to start at the current limit.
    const waitMs = ((queue.length + 1) / Math.max(1, slots.currentLimit())) * windowMs;
    return new LookupError(ErrorCode.THROTTLED, message, {
      retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
      // Told apart from IVS's own throttling, which carries `ivs` details instead.
      reason,
    });
  };

  // One slot request at a time; a granted slot goes to whoever's turn it is when it arrives.
  const pump = async (): Promise<void> => {
    if (pumping || closed) return;
    cancelWake?.();
    cancelWake = undefined;
    pumping = true;
    try {
      while (queue.peek() !== undefined) {
        const answer = await slots.take();
        if (closed) return;
        if (!answer.granted) {
          cancelWake = clock.schedule(() => void pump(), answer.retryInMs);
          return;
        }
        // Whoever is first now: the waiter first before the slot came back may have given up meanwhile.
        const waiter = queue.shift();
        observer.limiterQueueLength(queue.length);
        waiter?.grant(answer.slot);
      }
    } finally {
      pumping = false;
    }
  };

  return {
    async acquire({ caller, signal }) {
      if (closed) throw new LookupError(ErrorCode.UPSTREAM_UNAVAILABLE, 'The gateway is shutting down');
      const enqueuedAt = clock.now();
      if (signal.aborted) {
        throw throttled('The lookup ran out of time before IVS quota was free', 'GATEWAY_QUOTA', caller);
      }
      // Waiters keep their turn: a newcomer only takes a start directly when nobody is queued.
      if (queue.length === 0) {
        const answer = await slots.take();
        if (answer.granted) {
          observer.limiterWait(0, caller.label);
          return answer.slot;
        }
      }
      if (queue.length >= queueMax) {
        throw throttled('Too many lookups are waiting for IVS quota', 'GATEWAY_QUOTA', caller);
      }
      if (queue.lengthOf(caller.id) >= queueMaxPerCaller) {
        throw throttled('This caller has too many lookups waiting for IVS quota', 'CALLER_QUEUE_FULL', caller);
      }
      return new Promise<Slot>((resolve, reject) => {
        const onAbort = (): void => {
          if (!queue.remove(waiter)) return;
          observer.limiterQueueLength(queue.length);
          reject(
            throttled('The lookup could not start before its deadline: IVS quota is in use', 'GATEWAY_QUOTA', caller),
          );
        };
        const waiter: QuotaWaiter = {
          callerId: caller.id,
          weight: caller.weight,
          grant(slot) {
            signal.removeEventListener('abort', onAbort);
            observer.limiterWait(clock.now() - enqueuedAt, caller.label);
            resolve(slot);
          },
          refuse(error) {
            signal.removeEventListener('abort', onAbort);
            reject(error);
          },
        };
        signal.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
        observer.limiterQueueLength(queue.length);
        void pump();
      });
    },

    reportThrottled: () => slots.reportThrottled(),

    close() {
      closed = true;
      cancelWake?.();
      cancelWake = undefined;
      for (const waiter of queue.drain()) {
        waiter.refuse(new LookupError(ErrorCode.UPSTREAM_UNAVAILABLE, 'The gateway is shutting down'));
      }
      observer.limiterQueueLength(0);
    },
  };
}
