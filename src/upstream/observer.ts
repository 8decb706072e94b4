import type { ErrorCode } from '../errors.js';

/** How one upstream (IVS) call ended: 'OK' or the code of the failure. */
export type UpstreamOutcome = 'OK' | ErrorCode;

export type CacheResult = 'hit' | 'miss' | 'stale' | 'negative_hit';

export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * Process-wide hooks of the upstream layer; /metrics implements them with prom-client.
 * Hooks must be cheap and must never throw: they run on the lookup path.
 */
export interface UpstreamObserver {
  upstreamCall(outcome: UpstreamOutcome, durationMs: number): void;
  cacheLookup(result: CacheResult): void;
  /** A lookup joined another request's in-flight call instead of making its own. */
  coalesced(): void;
  limiterQueueLength(length: number): void;
  limiterWait(waitMs: number): void;
  breakerState(state: BreakerState): void;
}

export const noopUpstreamObserver: UpstreamObserver = {
  upstreamCall() {},
  cacheLookup() {},
  coalesced() {},
  limiterQueueLength() {},
  limiterWait() {},
  breakerState() {},
};
