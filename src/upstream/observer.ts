import type { ErrorCode } from '../errors.js';
import type { QuotaDomain } from './quota/domain.js';

/** How one upstream (IVS) call ended: 'OK' or the code of the failure. */
export type UpstreamOutcome = 'OK' | ErrorCode;

export type CacheResult = 'hit' | 'miss' | 'stale' | 'negative_hit';

export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * Hooks of the upstream layer of one quota domain (one IVS operation in one account and region);
 * /metrics implements them with prom-client. Hooks must be cheap and must never throw: they run on the
 * lookup path.
 */
export interface UpstreamObserver {
  upstreamCall(outcome: UpstreamOutcome, durationMs: number): void;
  cacheLookup(result: CacheResult): void;
  /** A lookup joined a flight (a call another lookup already had in flight) instead of making its own. */
  flightJoined(): void;
  limiterQueueLength(length: number): void;
  /** A lookup was granted its start after waiting `waitMs`; `caller` is the bounded caller label. */
  limiterWait(waitMs: number, caller: string): void;
  /** A lookup was refused quota: `reason` GATEWAY_QUOTA (queue full or deadline) or CALLER_QUEUE_FULL. */
  limiterRefused(reason: string, caller: string): void;
  breakerState(state: BreakerState): void;
}

/** Process-wide: hands each quota domain's layer the hooks that label what it reports with that domain. */
export interface UpstreamObservers {
  forDomain(domain: QuotaDomain): UpstreamObserver;
}

export const noopUpstreamObserver: UpstreamObserver = {
  upstreamCall() {},
  cacheLookup() {},
  flightJoined() {},
  limiterQueueLength() {},
  limiterWait() {},
  limiterRefused() {},
  breakerState() {},
};

export const noopUpstreamObservers: UpstreamObservers = { forDomain: () => noopUpstreamObserver };
