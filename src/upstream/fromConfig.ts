import type { Config } from '../config.js';
import type { ParticipantSource } from '../ivs/participantSource.js';
import type { Logger } from '../logger.js';
import { createUpstreamBreaker } from './circuitBreaker.js';
import { systemClock } from './clock.js';
import { createMemoryStore } from './memoryStore.js';
import type { UpstreamObserver } from './observer.js';
import { createParticipantCache, disabledParticipantCache } from './participantCache.js';
import { createParticipantLookup, type ParticipantLookup } from './participantLookup.js';
import { createQuotaLimiter } from './quotaLimiter.js';
import { createRetrier } from './retry.js';

export interface Upstream {
  participants: ParticipantLookup;
  /** Refuses lookups still waiting for quota; call after the HTTP server has drained. */
  close(): void;
}

/** Wraps the IVS source in the configured protection layer; one per process, shared by all requests. */
export function createUpstream(
  config: Pick<Config, 'upstream' | 'lookup'>,
  source: ParticipantSource,
  deps: { logger: Logger; observer: UpstreamObserver },
): Upstream {
  const { upstream } = config;
  const { logger, observer } = deps;
  const limiter = createQuotaLimiter({
    callsPerWindow: upstream.quotaTps,
    windowMs: 1000 + upstream.quotaMarginMs,
    queueMax: upstream.queueMax,
    clock: systemClock,
    observer,
  });
  const { cache } = upstream;
  const participantCache =
    cache.maxEntries === 0
      ? disabledParticipantCache
      : createParticipantCache({
          store: createMemoryStore({ maxEntries: cache.maxEntries, maxBytes: cache.maxBytes }),
          ttls: {
            connectedMs: cache.connectedTtlMs,
            disconnectedMs: cache.disconnectedTtlMs,
            notFoundMs: cache.notFoundTtlMs,
            staleMs: cache.staleMs,
          },
          onStoreError: (error) => logger.warn({ err: error }, 'participant cache store failed; treated as a miss'),
        });
  const participants = createParticipantLookup({
    source,
    cache: participantCache,
    limiter,
    breaker: createUpstreamBreaker({ ...upstream.breaker, observer }),
    retry: createRetrier({
      maxAttempts: upstream.maxAttempts,
      baseDelayMs: upstream.retryBaseDelayMs,
      maxDelayMs: upstream.retryMaxDelayMs,
    }),
    deadlineMs: config.lookup.deadlineMs,
    serveStale: upstream.serveStale,
    observer,
  });
  return { participants, close: () => limiter.close() };
}
