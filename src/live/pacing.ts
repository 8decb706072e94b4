import { setTimeout as sleep } from 'node:timers/promises';

export interface PaceSettings {
  /** Distinct keys watched fleet-wide on the operation. */
  readonly watchedKeys: number;
  /** LIVE_QUOTA_SHARE: the part of the operation's quota that refreshes may use. */
  readonly share: number;
  /** The operation's quota, calls per second (UPSTREAM_QUOTA_TPS or its per-operation exception). */
  readonly tps: number;
  /** LIVE_MIN_INTERVAL_MS. */
  readonly minIntervalMs: number;
}

/**
 * How often each watched key is refreshed: `max(LIVE_MIN_INTERVAL_MS, K / (share × TPS))`. With K keys
 * each refreshed once per interval, refreshes make K / interval ≤ share × TPS calls per second.
 */
export function refreshIntervalMs({ watchedKeys, share, tps, minIntervalMs }: PaceSettings): number {
  return Math.max(minIntervalMs, Math.ceil((Math.max(1, watchedKeys) * 1000) / (share * tps)));
}

/** A key a pacer refreshes. */
export interface Paced {
  /** When its answer last changed hands (a refresh, a query's call, an event): ms since the epoch. */
  readonly lastRefreshAt: number;
}

export interface PacerOptions<W extends Paced> {
  /** The current interval (refreshIntervalMs with the current K). */
  readonly intervalMs: () => number;
  /** The keys this replica refreshes now (it holds their lease). */
  readonly held: () => readonly W[];
  /** Refreshes one key; resolves with the IVS calls it made (a roster can take several pages). */
  readonly refresh: (watch: W) => Promise<number>;
}

/**
 * One loop per operation: every `interval / held` ms it refreshes the held key refreshed longest ago, once
 * that was at least about one interval ago. A refresh of n calls takes n turns, so the calls of this
 * replica stay within held / interval per second, and those of the fleet within K / interval. Turns are
 * counted from when the previous one began, not from when its refresh ended: otherwise every refresh's own
 * duration would stretch the interval, and fewer than K calls would be made per interval.
 */
export function createPacer<W extends Paced>(options: PacerOptions<W>): { wake(): void; close(): void } {
  const stop = new AbortController();
  let wake: () => void = () => undefined;

  const loop = async (): Promise<void> => {
    let turnAt = performance.now();
    while (!stop.signal.aborted) {
      const held = options.held();
      if (held.length === 0) {
        // Woken by a new key, or looks again after an interval: a lease may have come this way meanwhile.
        const woken = new AbortController();
        wake = () => woken.abort();
        await sleep(options.intervalMs(), undefined, {
          signal: AbortSignal.any([stop.signal, woken.signal]),
          ref: false,
        }).catch(() => undefined);
        turnAt = performance.now();
        continue;
      }
      const interval = options.intervalMs();
      const turnMs = interval / held.length;
      const oldest = held.reduce((a, b) => (b.lastRefreshAt < a.lastRefreshAt ? b : a));
      const dueInMs = oldest.lastRefreshAt + interval - turnMs / 2 - Date.now();
      if (dueInMs > 0) {
        // Refreshed lately (by a query's call, an event, a late turn): look again when it is due.
        await sleep(Math.min(dueInMs, turnMs), undefined, { signal: stop.signal, ref: false }).catch(() => undefined);
        turnAt = performance.now();
        continue;
      }
      const calls = await options.refresh(oldest).catch(() => 1);
      // Late turns (a slow refresh, a busy event loop) are caught up, but never more than an interval's worth.
      turnAt = Math.max(turnAt + turnMs * Math.max(1, calls), performance.now() - interval);
      await sleep(Math.max(0, turnAt - performance.now()), undefined, { signal: stop.signal, ref: false }).catch(
        () => undefined,
      );
    }
  };
  void loop();
  return {
    wake: () => wake(),
    close: () => stop.abort(),
  };
}
