import type { Config } from '../config.js';
import type { ParticipantSource } from '../ivs/participantSource.js';
import type { Logger } from '../logger.js';
import { participantKeyText, type ParticipantKey, type ParticipantModel } from '../model.js';
import { createAnswerCache, disabledAnswerCache, type AnswerTtls } from './answerCache.js';
import type { Fleet } from '../redis/fleet.js';
import { participantEntryCodec, type CacheEntry } from './cacheEntry.js';
import { createUpstreamBreaker } from './circuitBreaker.js';
import { systemClock } from './clock.js';
import { createLocalFlight } from './flight.js';
import { createMemoryStore } from './memoryStore.js';
import type { UpstreamObserver } from './observer.js';
import { createQuotaLimiter, type Waiter } from './quotaLimiter.js';
import { createRetrier } from './retry.js';
import { createLocalSlots } from './slots.js';
import { createUpstreamRead, type UpstreamRead } from './upstreamRead.js';
import { createFairQueue, createFifoQueue } from './waitQueue.js';

/** GetParticipant behind the upstream protection layer. */
export type ParticipantLookup = UpstreamRead<ParticipantKey, ParticipantModel>;

export interface Upstream {
  participants: ParticipantLookup;
  /** Refuses lookups still waiting for quota; call after the HTTP server has drained. */
  close(): void;
}

// The in-process copies in front of the shared cache: the hot keys only.
const nearEntriesMax = 1000;

/** Participant freshness: CONNECTED participants may change at any moment, DISCONNECTED ones hardly. */
export function participantTtls(cache: Config['upstream']['cache']): AnswerTtls<ParticipantModel> {
  return {
    freshnessMs: (answer) => {
      if (answer.kind === 'not_found') return cache.notFoundTtlMs;
      return answer.value.state === 'DISCONNECTED' ? cache.disconnectedTtlMs : cache.connectedTtlMs;
    },
    staleMs: cache.staleMs,
  };
}

/** Wraps the IVS source in the configured protection layer; one per process, shared by all requests. */
export function createUpstream(
  config: Pick<Config, 'upstream' | 'lookup' | 'backend' | 'ivs'>,
  source: ParticipantSource,
  deps: {
    logger: Logger;
    observer: UpstreamObserver;
    /** With REDIS_URL: the fleet-wide window, cache and flight; without, everything stays in this process. */
    fleet?: Fleet;
  },
): Upstream {
  const { upstream } = config;
  const { logger, observer, fleet } = deps;
  const windowMs = 1000 + upstream.quotaMarginMs;
  const quota = { callsPerWindow: upstream.quotaTps, windowMs };
  const domain = { account: 'default', region: config.backend.region, operation: 'GetParticipant' } as const;
  const limiter = createQuotaLimiter({
    slots: fleet ? fleet.slots(domain, quota) : createLocalSlots({ ...quota, clock: systemClock }),
    queue: upstream.queuePolicy === 'fair' ? createFairQueue<Waiter>() : createFifoQueue<Waiter>(),
    queueMax: upstream.queueMax,
    queueMaxPerCaller: upstream.queueMaxPerCaller,
    windowMs,
    clock: systemClock,
    observer,
  });
  const { cache } = upstream;
  const participantCache =
    cache.maxEntries === 0
      ? disabledAnswerCache<ParticipantModel>()
      : createAnswerCache({
          store: fleet
            ? fleet.store(participantEntryCodec, Math.min(cache.maxEntries, nearEntriesMax))
            : createMemoryStore<CacheEntry<ParticipantModel>>({
                maxEntries: cache.maxEntries,
                maxBytes: cache.maxBytes,
              }),
          namespace: 'GetParticipant',
          ttls: participantTtls(cache),
          onStoreError: (error) => logger.warn({ err: error }, 'participant cache store failed; treated as a miss'),
        });
  const participants = createUpstreamRead<ParticipantKey, ParticipantModel>({
    operation: 'GetParticipant',
    keyText: participantKeyText,
    call: (key, signal) => source.getParticipant(key, signal),
    cache: participantCache,
    // A holder that stopped refreshing its claim for one attempt's time is presumed dead.
    flight: fleet ? fleet.flight(config.ivs.attemptTimeoutMs) : createLocalFlight(),
    limiter,
    breaker: createUpstreamBreaker({ ...upstream.breaker, observer }),
    retry: createRetrier({
      maxAttempts: upstream.maxAttempts,
      baseDelayMs: upstream.retryBaseDelayMs,
      maxDelayMs: upstream.retryMaxDelayMs,
    }),
    deadlineMs: config.lookup.deadlineMs,
    serveStale: upstream.serveStale,
    revalidateMinIntervalMs: upstream.revalidateMinIntervalMs,
    observer,
  });
  return { participants, close: () => limiter.close() };
}
