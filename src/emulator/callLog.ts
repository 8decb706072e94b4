import { participantKeyText } from '../model.js';
import { emulatedOperations, type EmulatedOperation } from './validation.js';

/** How the emulator answered a call. */
export type CallOutcome = 'served' | 'throttled' | 'faulted' | 'rejected';

/**
 * One operation's counters. Every received call counts in `calls` and, once decided (on arrival;
 * `latencyMs` only delays the answer), in exactly one outcome: `served` (200), `throttled` (429 from the
 * quota), `faulted` (an injected fault, any kind), `rejected` (validation, not found).
 */
export interface OperationCounts {
  readonly calls: number;
  readonly served: number;
  readonly throttled: number;
  readonly faulted: number;
  readonly rejected: number;
}

/**
 * Counters since start or the last reset. The top-level counts, `byKey` and the window are GetParticipant's
 * (what most tests count); `byOperation` has every operation's counts.
 */
export interface EmulatorStats extends OperationCounts {
  readonly byOperation: Readonly<Record<EmulatedOperation, OperationCounts>>;
  /**
   * GetParticipant calls per participant, keyed by the gateway's `participantKeyText`, for every call whose
   * body named a stage, session and participant. At most `limits.maxKeys` keys: calls for further keys
   * count in `untrackedKeyCalls` only.
   */
  readonly byKey: Readonly<Record<string, number>>;
  readonly untrackedKeyCalls: number;
  /**
   * The most calls of `operation` (default GetParticipant; any outcome) that started within any window of
   * this length, over the last `limits.maxArrivals` calls.
   */
  readonly maxCallsInAnyWindow: (windowMs?: number, operation?: EmulatedOperation) => number;
}

/**
 * How much the log keeps, so an emulator running for days (or a benchmark over 200,000 keys) stays bounded:
 * the arrival times of the most recent calls, and call counts for the first keys seen since the last reset.
 */
export interface CallLogLimits {
  readonly maxArrivals: number;
  readonly maxKeys: number;
}

const defaultCallLogLimits: CallLogLimits = { maxArrivals: 100_000, maxKeys: 100_000 };

export interface CallLog {
  /** Records a call's arrival time (ms, monotonic). */
  recordCall(operation: EmulatedOperation, at: number): void;
  /** Counts a GetParticipant call against its participant. */
  recordKey(stageArn: string, sessionId: string, participantId: string): void;
  recordOutcome(operation: EmulatedOperation, outcome: CallOutcome): void;
  /** A snapshot: later calls do not change it. */
  stats(): EmulatorStats;
  /** Resolves once at least `count` GetParticipant calls have been decided since the last clear. */
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

type MutableCounts = { -readonly [K in keyof OperationCounts]: number };

const zeroCounts = (): Record<EmulatedOperation, MutableCounts> =>
  Object.fromEntries(
    emulatedOperations.map((operation) => [operation, { calls: 0, served: 0, throttled: 0, faulted: 0, rejected: 0 }]),
  ) as Record<EmulatedOperation, MutableCounts>;

export function createCallLog(limits: CallLogLimits = defaultCallLogLimits): CallLog {
  let arrivals = new Map<EmulatedOperation, number[]>();
  let byKey = new Map<string, number>();
  let untrackedKeyCalls = 0;
  let counts = zeroCounts();
  let waits: DecidedWait[] = [];
  const decided = (): number => {
    const { served, throttled, faulted, rejected } = counts.GetParticipant;
    return served + throttled + faulted + rejected;
  };
  return {
    recordCall(operation, at) {
      counts[operation].calls += 1;
      let times = arrivals.get(operation);
      if (times === undefined) arrivals.set(operation, (times = []));
      times.push(at);
      // Trimmed in batches, so keeping the bound costs O(1) per call on average.
      if (times.length >= 2 * limits.maxArrivals) arrivals.set(operation, times.slice(-limits.maxArrivals));
    },
    recordKey(stageArn, sessionId, participantId) {
      const key = participantKeyText({ stageArn, sessionId, participantId });
      const seen = byKey.get(key);
      if (seen !== undefined) byKey.set(key, seen + 1);
      else if (byKey.size < limits.maxKeys) byKey.set(key, 1);
      else untrackedKeyCalls += 1;
    },
    recordOutcome(operation, outcome) {
      counts[operation][outcome] += 1;
      if (operation !== 'GetParticipant') return;
      const done = decided();
      for (const wait of waits.filter((w) => w.count <= done)) wait.resolve();
      waits = waits.filter((w) => w.count > done);
    },
    stats() {
      const snapshot = new Map(
        [...arrivals].map(([operation, times]) => [operation, times.slice(-limits.maxArrivals)]),
      );
      const byOperation = Object.fromEntries(
        emulatedOperations.map((operation) => [operation, { ...counts[operation] }]),
      ) as Record<EmulatedOperation, OperationCounts>;
      return {
        ...byOperation.GetParticipant,
        byOperation,
        byKey: Object.fromEntries(byKey),
        untrackedKeyCalls,
        maxCallsInAnyWindow: (windowMs = 1000, operation = 'GetParticipant') =>
          maxInAnyWindow(snapshot.get(operation) ?? [], windowMs),
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
      arrivals = new Map();
      byKey = new Map();
      untrackedKeyCalls = 0;
      counts = zeroCounts();
    },
  };
}
