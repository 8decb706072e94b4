import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { regionOfStage } from '../validation.js';
import { createAnswerCache, disabledAnswerCache } from './cache/answerCache.js';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { Fleet } from './fleet.js';
import type { CacheEntry, EntryCodec } from './cache/entry.js';
import { createUpstreamBreaker } from './breaker.js';
import { systemClock } from '../clock.js';
import { createLocalFlight } from './flight/flight.js';
import { createMemoryStore } from './cache/memoryStore.js';
import { readCodec, readTtls } from './cache/codecs.js';
import type { BreakerState, UpstreamObserver, UpstreamObservers } from './observer.js';
import {
  perReadOperation,
  perWriteOperation,
  readOperation,
  writeOperation,
  type IvsOperation,
  type IvsReadOperation,
  type IvsReadTypes,
  type IvsSources,
  type IvsWriteOperation,
  type IvsWriteSources,
  type IvsWriteTypes,
} from '../ivs/operations/index.js';
import { quotaDomainText, type QuotaDomain } from './quota/domain.js';
import { createUpstreamWrite, type UpstreamWrite } from './write.js';
import {
  createInvalidation,
  createLocalGenerations,
  generationalKeyText,
  type Invalidation,
} from './cache/invalidation.js';
import { createQuotaLimiter, type QuotaLimiter, type QuotaWaiter } from './quota/limiter.js';
import { pacedQuota } from './quota/pacedQuota.js';
import { createRetrier } from './retry.js';
import { createLocalSlots } from './quota/slots.js';
import { createUpstreamRead, type UpstreamRead } from './read.js';
import { createFairQueue, createFifoQueue } from './quota/waitQueue.js';

/** Every IVS read operation behind its own protection layer: quota, cache, flight, breaker. */
export type UpstreamReads = {
  readonly [O in IvsReadOperation]: UpstreamRead<IvsReadTypes[O]['key'], IvsReadTypes[O]['value']>;
};

/** Every IVS write operation behind its own quota and breaker; no cache, no flight, no retry. */
export type UpstreamWrites = {
  readonly [O in IvsWriteOperation]: UpstreamWrite<IvsWriteTypes[O]['input'], IvsWriteTypes[O]['value']>;
};

export interface Upstream {
  reads: UpstreamReads;
  writes: UpstreamWrites;
  /** Drops cached answers a participant's change made wrong, fleet-wide with Redis. */
  invalidation: Invalidation;
  /** Every stage invalidation, here or on another replica (for caches outside this layer). */
  onStageInvalidated(listener: (stageArn: string) => void): void;
  /** Refuses lookups still waiting for quota; call after the HTTP server has drained. */
  close(): void;
}

// The in-process copies in front of the shared cache, per operation: the hot keys only.
const nearEntriesMax = 1000;

/**
 * Wraps each IVS source in the configured protection layer; one per process, shared by all requests.
 * Each operation in each region is its own quota domain (AWS budgets each API separately per account
 * and region) with its own limiter and breaker; a key's stage ARN picks its region. Cache namespace and
 * flight are per operation (keys name their stage, so regions never share an entry); retries, deadline
 * and stale rules are the same for all.
 */
export function createUpstream(
  config: Pick<Config, 'upstream' | 'lookup' | 'ivsTarget' | 'ivs'>,
  /** One region's sources, reads and writes, per served region. */
  sourcesByRegion: ReadonlyMap<string, IvsSources & IvsWriteSources>,
  deps: {
    logger: Logger;
    /** Each quota domain's metrics hooks. */
    observer: UpstreamObservers;
    /** With REDIS_URL: the fleet-wide windows, cache and flights; without, everything stays in this process. */
    fleet?: Fleet;
  },
): Upstream {
  const { upstream } = config;
  const { logger, observer, fleet } = deps;
  const windowMs = 1000 + upstream.quotaMarginMs;
  const { cache } = upstream;
  // One store for every operation: the namespace keeps their keys apart, the limits bound them together.
  const memory =
    cache.maxEntries === 0 || fleet !== undefined
      ? undefined
      : createMemoryStore<CacheEntry<unknown>>({ maxEntries: cache.maxEntries, maxBytes: cache.maxBytes });
  // Each operation's entries under its own namespace, so the memory store's view per operation is exact.
  const storeFor = <V>(codec: EntryCodec<V>): KeyValueCache<CacheEntry<V>> | undefined => {
    if (cache.maxEntries === 0) return undefined;
    if (fleet !== undefined) return fleet.store(codec, Math.min(cache.maxEntries, nearEntriesMax));
    return memory as KeyValueCache<CacheEntry<V>> | undefined;
  };
  const limiters: QuotaLimiter[] = [];
  const retry = createRetrier({
    maxAttempts: upstream.maxAttempts,
    baseDelayMs: upstream.retryBaseDelayMs,
    maxDelayMs: upstream.retryMaxDelayMs,
  });
  // A breaker per quota domain, each with its own `ivs_breaker_state` series; every change is also logged.
  const breakerObserver = (domain: QuotaDomain, hooks: UpstreamObserver): Pick<UpstreamObserver, 'breakerState'> => {
    let last: BreakerState = 'closed';
    return {
      breakerState(state) {
        if (state !== last) {
          logger.warn({ quotaDomain: quotaDomainText(domain), state }, 'IVS circuit breaker changed state');
        }
        last = state;
        hooks.breakerState(state);
      },
    };
  };
  const generations = fleet?.generations ?? createLocalGenerations();

  // The quota steward and the breaker of one quota domain: one operation in one region.
  const guardsOf = (operation: IvsOperation, region: string) => {
    const quota = pacedQuota(upstream.quotaTpsByOperation[operation], windowMs);
    const domain: QuotaDomain = { account: config.ivsTarget.accountId ?? 'default', region, operation };
    const hooks = observer.forDomain(domain);
    const limiter = createQuotaLimiter({
      slots: fleet ? fleet.slots(domain, quota) : createLocalSlots({ ...quota, clock: systemClock }),
      queue: upstream.queuePolicy === 'fair' ? createFairQueue<QuotaWaiter>() : createFifoQueue<QuotaWaiter>(),
      queueMax: upstream.queueMax,
      queueMaxPerCaller: upstream.queueMaxPerCaller,
      windowMs: quota.windowMs,
      clock: systemClock,
      observer: hooks,
    });
    limiters.push(limiter);
    return {
      limiter,
      breaker: createUpstreamBreaker({ ...upstream.breaker, observer: breakerObserver(domain, hooks) }),
      hooks,
    };
  };

  const regionalRead = <O extends IvsReadOperation>(
    operation: O,
    region: string,
    sources: IvsSources,
  ): UpstreamRead<IvsReadTypes[O]['key'], IvsReadTypes[O]['value']> => {
    type V = IvsReadTypes[O]['value'];
    const descriptor = readOperation(operation);
    const store = storeFor<V>(readCodec(descriptor));
    const { limiter, breaker, hooks } = guardsOf(operation, region);
    return createUpstreamRead<IvsReadTypes[O]['key'], V>({
      keyText: generationalKeyText(descriptor, generations),
      call: sources[operation],
      cache:
        store === undefined
          ? disabledAnswerCache<V>()
          : createAnswerCache<V>({
              store,
              namespace: operation,
              ttls: readTtls(descriptor.freshMs, cache),
              onStoreError: (error) =>
                logger.warn({ err: error, operation }, 'answer cache store failed; treated as a miss'),
            }),
      // A holder that stopped refreshing its claim for one attempt's time is presumed dead.
      flight: fleet ? fleet.flight<V>(config.ivs.attemptTimeoutMs) : createLocalFlight(),
      limiter,
      breaker,
      retry,
      deadlineMs: config.lookup.deadlineMs,
      serveStale: upstream.serveStale,
      revalidateMinIntervalMs: upstream.revalidateMinIntervalMs,
      observer: hooks,
    });
  };

  // Keys reach this layer validated: their stage is in a served region (STAGE_NOT_SERVED otherwise).
  const read = <O extends IvsReadOperation>(
    operation: O,
  ): UpstreamRead<IvsReadTypes[O]['key'], IvsReadTypes[O]['value']> => {
    const { stageArnOf } = readOperation(operation);
    const byRegion = new Map(
      [...sourcesByRegion].map(([region, sources]) => [region, regionalRead(operation, region, sources)]),
    );
    return {
      lookup(key, request) {
        const region = regionOfStage(stageArnOf(key));
        const regional = byRegion.get(region);
        if (regional === undefined) throw new Error(`${operation} asked for a stage in ${region}, a region not served`);
        return regional.lookup(key, request);
      },
    };
  };

  const reads = perReadOperation<UpstreamReads>(read);
  // Same routing as reads; the deadline is the lookup's.
  const write = <O extends IvsWriteOperation>(
    operation: O,
  ): UpstreamWrite<IvsWriteTypes[O]['input'], IvsWriteTypes[O]['value']> => {
    const { stageArnOf } = writeOperation(operation);
    const byRegion = new Map(
      [...sourcesByRegion].map(([region, sources]) => {
        const { limiter, breaker, hooks } = guardsOf(operation, region);
        const regional = createUpstreamWrite<IvsWriteTypes[O]['input'], IvsWriteTypes[O]['value']>({
          call: sources[operation] as (
            input: IvsWriteTypes[O]['input'],
            signal: AbortSignal,
          ) => Promise<IvsWriteTypes[O]['value']>,
          limiter,
          breaker,
          deadlineMs: config.lookup.deadlineMs,
          callReserveMs: Math.min(config.ivs.attemptTimeoutMs, config.lookup.deadlineMs / 2),
          observer: hooks,
        });
        return [region, regional] as const;
      }),
    );
    return {
      write(input, caller) {
        const region = regionOfStage(stageArnOf(input));
        const regional = byRegion.get(region);
        if (regional === undefined) throw new Error(`${operation} asked for a stage in ${region}, a region not served`);
        return regional.write(input, caller);
      },
    };
  };

  const writes = perWriteOperation<UpstreamWrites>(write);
  return {
    reads,
    writes,
    invalidation: createInvalidation(generations),
    onStageInvalidated: (listener) => generations.onBump(listener),
    close: () => limiters.forEach((limiter) => limiter.close()),
  };
}
