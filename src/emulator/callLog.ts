/** How the emulator answered a GetParticipant call. */
export type CallOutcome = 'served' | 'throttled' | 'faulted' | 'rejected';

/**
 * Counters since start or the last reset. Every received GetParticipant call counts in `calls` and,
 * once decided (on arrival; `latencyMs` only delays the answer), in exactly one outcome:
 * `served` (200), `throttled` (429 from the quota), `faulted` (an injected fault, any kind),
 * `rejected` (validation, not found).
 */
export interface EmulatorStats {
  readonly calls: number;
  readonly served: number;
  readonly throttled: number;
  readonly faulted: number;
  readonly rejected: number;
  /** Calls per `participantKey`, for every call whose body named a stage, session and participant. */
  readonly byKey: Readonly<Record<string, number>>;
  /** The most calls received (throttled and failed included) that started within any window of this length. */
  readonly maxCallsInAnyWindow: (windowMs?: number) => number;
}

export interface CallLog {
  /** Records a call's arrival time (ms, monotonic). */
  recordCall(at: number): void;
  recordKey(key: string): void;
  recordOutcome(outcome: CallOutcome): void;
  /** A snapshot: later calls do not change it. */
  stats(): EmulatorStats;
  /** Resolves once at least `count` calls have been decided since the last clear. */
  waitForDecided(count: number): Promise<void>;
  /** Rejects every pending wait, e.g. when the emulator closes. */
  abandonWaits(reason: Error): void;
  clear(): void;
}

/** The largest number of ascending `times` that fit in a half-open window [t, t + windowMs). */
export function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  let max = 0;
  let start = 0;
  for (let end = 0; end < times.length; end += 1) {
    while ((times[end] ?? 0) - (times[start] ?? 0) >= windowMs) start += 1;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

interface DecidedWait {
  readonly count: number;
  resolve(): void;
  reject(reason: Error): void;
}

export function createCallLog(): CallLog {
  let times: number[] = [];
  let byKey = new Map<string, number>();
  let outcomes: Record<CallOutcome, number> = { served: 0, throttled: 0, faulted: 0, rejected: 0 };
  let waits: DecidedWait[] = [];
  const decided = (): number => outcomes.served + outcomes.throttled + outcomes.faulted + outcomes.rejected;
  return {
    recordCall(at) {
      times.push(at);
    },
    recordKey(key) {
      byKey.set(key, (byKey.get(key) ?? 0) + 1);
    },
    recordOutcome(outcome) {
      outcomes[outcome] += 1;
      const done = decided();
      for (const wait of waits.filter((w) => w.count <= done)) wait.resolve();
      waits = waits.filter((w) => w.count > done);
    },
    stats() {
      const snapshot = [...times];
      return {
        calls: snapshot.length,
        ...outcomes,
        byKey: Object.fromEntries(byKey),
        maxCallsInAnyWindow: (windowMs = 1000) => maxInAnyWindow(snapshot, windowMs),
      };
    },
    waitForDecided(count) {
      if (decided() >= count) return Promise.resolve();
      return new Promise((resolve, reject) => waits.push({ count, resolve, reject }));
    },
    abandonWaits(reason) {
      for (const wait of waits) wait.reject(reason);
      waits = [];
    },
    clear() {
      times = [];
      byKey = new Map();
      outcomes = { served: 0, throttled: 0, faulted: 0, rejected: 0 };
    },
  };
}
