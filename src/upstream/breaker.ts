import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import { ErrorCode, LookupError } from '../errors.js';
import type { BreakerState, UpstreamObserver } from './observer.js';

export interface UpstreamBreakerOptions {
  /** Consecutive failed calls that open the circuit. */
  readonly threshold: number;
  /** How long the circuit stays open before one probe call may go through. */
  readonly coolDownMs: number;
  readonly observer: Pick<UpstreamObserver, 'breakerState'>;
}

/** Stops calling IVS while it is unwell, so lookups fail fast (or are served stale) instead of piling up. */
export interface UpstreamBreaker {
  /**
   * Runs one IVS call if the circuit lets it through: while closed, or as the single probe once the
   * cool-down is over; otherwise throws UPSTREAM_UNAVAILABLE (CIRCUIT_OPEN) at once. `beforeCall` (the
   * quota wait) runs after that decision, so a refused lookup never waits for nor spends quota and a
   * recovering circuit cannot release a burst of calls that queued behind its probe; its failure does
   * not count against the circuit. Only failures that say IVS is unwell (5xx, network, timeout, a call
   * still outstanding at its deadline) count;
   * any answer, NOT_FOUND or FORBIDDEN included, counts as health.
   */
  run<T>(call: () => Promise<T>, beforeCall?: () => Promise<void>): Promise<T>;
}

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

const stateNames: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'open',
};

/** cockatiel's consecutive-failure breaker, plus a gate that can refuse before anything is queued. */
export function createUpstreamBreaker({ threshold, coolDownMs, observer }: UpstreamBreakerOptions): UpstreamBreaker {
  const policy = circuitBreaker(handleAll, { halfOpenAfter: coolDownMs, breaker: new ConsecutiveBreaker(threshold) });
  // Mirrors cockatiel's state from its events: cockatiel itself only decides when asked to execute.
  let state: BreakerState = 'closed';
  let openedAt = 0;
  policy.onStateChange((next) => {
    state = stateNames[next];
    if (state === 'open') openedAt = Date.now();
    observer.breakerState(state);
  });
  observer.breakerState(state);

  const refusal = (retryInMs: number): LookupError =>
    new LookupError(
      ErrorCode.UPSTREAM_UNAVAILABLE,
      'IVS has been failing, so the gateway has paused calls to it; retry later',
      {
        retryAfterSeconds: Math.max(1, Math.ceil(retryInMs / 1000)),
        reason: 'CIRCUIT_OPEN',
      },
    );

  // At most one probe at a time once the cool-down is over; everyone else is refused until it decides.
  let probing = false;
  /** Throws the refusal, or says whether this call is the probe. */
  const gate = (): boolean => {
    if (state === 'closed') return false;
    if (state === 'open') {
      const left = openedAt + coolDownMs - Date.now();
      if (left > 0) throw refusal(left);
    }
    if (probing) throw refusal(0);
    probing = true;
    return true;
  };

  return {
    async run<T>(call: () => Promise<T>, beforeCall?: () => Promise<void>): Promise<T> {
      const probe = gate();
      try {
        await beforeCall?.();
        let outcome: Outcome<T>;
        try {
          outcome = await policy.execute(async (): Promise<Outcome<T>> => {
            try {
              return { ok: true, value: await call() };
            } catch (error) {
              if (isUpstreamFailure(error)) throw error;
              return { ok: false, error };
            }
          });
        } catch (error) {
          // The circuit opened while this call waited for quota.
          if (error instanceof BrokenCircuitError) throw refusal(coolDownMs);
          throw error;
        }
        if (!outcome.ok) throw outcome.error;
        return outcome.value;
      } finally {
        if (probe) probing = false;
      }
    },
  };
}

// A call still outstanding at its lookup's deadline is UPSTREAM_TIMEOUT too, and counts: IVS did not
// answer. A deadline that ran out while the lookup merely waited for quota never reaches `call`.
function isUpstreamFailure(error: unknown): boolean {
  return (
    error instanceof LookupError &&
    (error.code === ErrorCode.UPSTREAM_UNAVAILABLE || error.code === ErrorCode.UPSTREAM_TIMEOUT)
  );
}
