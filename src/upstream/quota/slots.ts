import type { Clock } from '../../clock.js';

/** A start that was counted: call `ended()` when the call's answer (or failure) arrived. */
export interface Slot {
  /**
   * Moves the start to now. IVS counts a call when it arrives, which is some time between our start and
   * its answer (a cold connection, a slow network); counting it at its end as well keeps the window safe.
   */
  ended(): void;
}

export type SlotAnswer =
  { readonly granted: true; readonly slot: Slot } | { readonly granted: false; readonly retryInMs: number };

/**
 * Where call starts come from: at most `currentLimit()` starts in any sliding window. In one process
 * the window lives here (createLocalSlots); in shared mode it lives in Redis, for the whole fleet.
 */
export interface SlotSource {
  /**
   * Counts one call start now if the window has room, else says how long until one may be free. Never
   * rejects. A start stays in the window until `windowMs` after its `ended()` (or its start, if it never ends).
   */
  take(): Promise<SlotAnswer>;
  /** IVS throttled a call anyway (someone else shares the account): halve the limit, then recover step by step. */
  reportThrottled(): void;
  /** Calls currently allowed per window. */
  currentLimit(): number;
}

export interface LocalSlotsOptions {
  /** Calls allowed to start in any window of `windowMs`. */
  readonly callsPerWindow: number;
  readonly windowMs: number;
  /** After IVS throttles, the limit climbs back by one call every this many ms; default 2000. */
  readonly recoveryStepMs?: number;
  readonly clock: Clock;
}

/** A start window in this process, and the synchronous answer the shared source falls back to. */
export interface LocalSlots extends SlotSource {
  takeNow(): SlotAnswer;
}

/**
 * A sliding log: no more than the limit START in any window, however bursty the callers. Hand-written
 * because the maintained limiters we looked at (bottleneck, rate-limiter-flexible) use reservoirs or fixed
 * windows that admit twice the rate across a window edge.
 */
export function createLocalSlots(options: LocalSlotsOptions): LocalSlots {
  const { callsPerWindow, windowMs, clock } = options;
  const recoveryStepMs = options.recoveryStepMs ?? 2000;
  // Starts still inside the window, oldest first; `at` moves to the call's end when it ends.
  const starts: { at: number }[] = [];
  let reduction: { limit: number; since: number } | undefined;

  const limitAt = (now: number): number => {
    if (reduction === undefined) return callsPerWindow;
    const limit = reduction.limit + Math.floor((now - reduction.since) / recoveryStepMs);
    if (limit < callsPerWindow) return limit;
    reduction = undefined;
    return callsPerWindow;
  };

  const restamp = (start: { at: number }): void => {
    const index = starts.indexOf(start);
    if (index < 0) return;
    starts.splice(index, 1);
    start.at = clock.now();
    starts.push(start);
  };

  const takeNow = (): SlotAnswer => {
    const now = clock.now();
    while (starts.length > 0 && now - (starts[0]?.at ?? now) >= windowMs) starts.shift();
    const limit = limitAt(now);
    if (starts.length < limit) {
      const start = { at: now };
      starts.push(start);
      return { granted: true, slot: { ended: () => restamp(start) } };
    }
    // The start that has to leave the window before one more fits (the limit may have been lowered).
    let freeAt = (starts[starts.length - limit]?.at ?? now) + windowMs;
    if (reduction !== undefined) {
      const steps = Math.floor((now - reduction.since) / recoveryStepMs) + 1;
      freeAt = Math.min(freeAt, reduction.since + steps * recoveryStepMs);
    }
    return { granted: false, retryInMs: Math.max(1, freeAt - now) };
  };

  return {
    takeNow,
    take: () => Promise.resolve(takeNow()),
    reportThrottled() {
      const now = clock.now();
      // Calls already in flight when IVS pushed back report the same overload: halve once per window.
      if (reduction !== undefined && now - reduction.since < windowMs) return;
      reduction = { limit: Math.max(1, Math.floor(limitAt(now) / 2)), since: now };
    },
    currentLimit: () => limitAt(clock.now()),
  };
}
