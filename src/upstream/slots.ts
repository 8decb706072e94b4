import type { Clock } from './clock.js';

export type SlotAnswer = { readonly granted: true } | { readonly granted: false; readonly retryInMs: number };

/** Where call starts come from: at most `limit` starts in any sliding window. */
export interface SlotSource {
  /** Counts one call start now if the window has room, else says how long until one may be free. Never rejects. */
  take(): Promise<SlotAnswer>;
  /** IVS throttled a call anyway: halve the limit, then recover one call per step (fleet-wide when shared). */
  reportThrottled(): void;
  /** Calls currently allowed per window (for retryAfterSeconds). */
  currentLimit(): number;
}

export interface LocalSlotsOptions {
  readonly callsPerWindow: number;
  readonly windowMs: number;
  /** After IVS throttles, the limit climbs back by one call every this many ms; default 2000. */
  readonly recoveryStepMs?: number;
  readonly clock: Clock;
}

/** A sliding log of this process's starts with adaptive back-off after a throttle. */
export function createLocalSlots(options: LocalSlotsOptions): SlotSource {
  const { callsPerWindow, windowMs, clock } = options;
  const recoveryStepMs = options.recoveryStepMs ?? 2000;
  const starts: number[] = [];
  let reduction: { limit: number; since: number } | undefined;

  const limitAt = (now: number): number => {
    if (reduction === undefined) return callsPerWindow;
    const limit = reduction.limit + Math.floor((now - reduction.since) / recoveryStepMs);
    if (limit < callsPerWindow) return limit;
    reduction = undefined;
    return callsPerWindow;
  };

  return {
    async take() {
      const now = clock.now();
      while (starts.length > 0 && now - (starts[0] ?? now) >= windowMs) starts.shift();
      const limit = limitAt(now);
      if (starts.length < limit) {
        starts.push(now);
        return { granted: true };
      }
      // The start that has to leave the window before one more fits (the limit may have been lowered).
      const blocking = starts[starts.length - limit] ?? now;
      let freeAt = blocking + windowMs;
      if (reduction !== undefined) {
        const steps = Math.floor((now - reduction.since) / recoveryStepMs) + 1;
        freeAt = Math.min(freeAt, reduction.since + steps * recoveryStepMs);
      }
      return { granted: false, retryInMs: Math.max(1, Math.ceil(freeAt - now)) };
    },
    reportThrottled() {
      const now = clock.now();
      // Calls already in flight when IVS pushed back report the same overload: halve once per window.
      if (reduction !== undefined && now - reduction.since < windowMs) return;
      reduction = { limit: Math.max(1, Math.floor(limitAt(now) / 2)), since: now };
    },
    currentLimit: () => limitAt(clock.now()),
  };
}
