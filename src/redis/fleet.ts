import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { Config } from '../config.js';
import type { SeenEventIds } from '../live/seenEventIds.js';
import type { Logger } from '../logger.js';
import { codedStore, type CacheEntry, type EntryCodec } from '../upstream/cacheEntry.js';
import { systemClock } from '../upstream/clock.js';
import { createLocalFlight, type Flight } from '../upstream/flight.js';
import { quotaDomainText, type QuotaDomain } from '../upstream/quotaDomain.js';
import type { SlotSource } from '../upstream/slots.js';
import { createRedisConnection, type RedisHealth } from './connection.js';
import type { StartBudget } from './fleetShare.js';
import { createMembership } from './membership.js';
import { createSharedFlight } from './sharedFlight.js';
import { createSharedWatch } from './sharedWatch.js';
import type { WatchChannel } from '../live/watchChannel.js';
import { createSharedEventIds } from './sharedEventIds.js';
import { createSharedSlots, type SlotsMode } from './sharedSlots.js';
import { createNearCache, createRedisStore, sharedEntryCodec } from './sharedStore.js';
import { createSharedGenerations } from './sharedGenerations.js';
import type { StageGenerations } from '../upstream/invalidation.js';

/** What this replica knows of the fleet; /readyz and /metrics report it. */
export interface FleetState {
  readonly redis: RedisHealth;
  /** Replicas at the last heartbeat, this one included; null before the first. */
  readonly replicas: number | null;
  /** Per quota domain: `shared` (the fleet's window in Redis) or `local` (this replica's share). */
  readonly slots: Readonly<Record<string, SlotsMode>>;
}

/** Hooks for the metrics; must be cheap and never throw. */
export interface FleetObserver {
  fleetState(state: FleetState): void;
}

/** The shared parts the upstream layer plugs in when REDIS_URL is set. */
export interface Fleet {
  /** The fleet-wide start window of one quota domain. */
  slots(domain: QuotaDomain, quota: StartBudget & { readonly recoveryStepMs?: number }): SlotSource;
  /** One call per key across the fleet; a claim not refreshed for `claimTtlMs` is taken over. */
  flight<T>(claimTtlMs: number): Flight<T>;
  /** Entries as text in Redis, behind a short-lived in-process copy of at most `nearEntries` of them. */
  store<V>(codec: EntryCodec<V>, nearEntries: number): KeyValueCache<CacheEntry<V>>;
  /** One watcher per subscribed key fleet-wide: leases of `leaseTtlMs`, answers over pub/sub (src/live/). */
  watch(leaseTtlMs: number): WatchChannel;
  /** EventBridge event ids seen by any replica, behind `local` (which also serves while Redis is down). */
  eventIds(local: SeenEventIds): SeenEventIds;
  /** The fleet's cache generation of each stage: an invalidation on one replica reaches every one. */
  readonly generations: StageGenerations;
  state(): FleetState;
  /** Releases this replica's flight claims and membership, then closes the connection. */
  close(): Promise<void>;
}

export interface FleetOptions {
  readonly redis: NonNullable<Config['redis']>;
  readonly logger: Logger;
  readonly observer: FleetObserver;
}

const heartbeatMs = 1000;

/** Connects to Redis in the background; nothing here waits for it or fails without it. */
export function createFleet({ redis, logger, observer }: FleetOptions): Fleet {
  const replicaId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  logger.info({ replicaId }, 'fleet member');
  const connection = createRedisConnection({
    url: redis.url,
    keyPrefix: redis.keyPrefix,
    commandTimeoutMs: redis.commandTimeoutMs,
    logger,
  });
  const modes: Record<string, SlotsMode> = {};
  const flights: { close(): Promise<void> }[] = [];
  let replicas: number | null = null;

  const state = (): FleetState => ({ redis: connection.health(), replicas, slots: { ...modes } });
  const report = (): void => observer.fleetState(state());
  connection.onHealthChange(report);
  const membership = createMembership({
    connection,
    replicaId,
    heartbeatMs,
    onSize: (size) => {
      if (size === replicas) return;
      replicas = size;
      logger.info({ replicas: size }, 'fleet size changed');
      report();
    },
  });

  const generations = createSharedGenerations(connection, logger);

  return {
    generations,
    slots(domain, quota) {
      const text = quotaDomainText(domain);
      modes[text] = 'shared';
      report();
      return createSharedSlots({
        connection,
        domain,
        ...quota,
        replicaId,
        fleetSize: () => membership.size(),
        fleetSizeHint: redis.fleetSizeHint,
        clock: systemClock,
        logger,
        onMode: (mode) => {
          modes[text] = mode;
          report();
        },
      });
    },
    flight<T>(claimTtlMs: number) {
      const flight = createSharedFlight<T>({ connection, local: createLocalFlight<T>(), claimTtlMs, replicaId });
      flights.push(flight);
      return flight;
    },
    store<V>(codec: EntryCodec<V>, nearEntries: number) {
      const shared = codedStore(createRedisStore(connection), sharedEntryCodec(codec));
      if (redis.nearCacheTtlMs === 0) return shared;
      return createNearCache(shared, { maxEntries: nearEntries, ttlMs: redis.nearCacheTtlMs });
    },
    watch: (leaseTtlMs) => createSharedWatch({ connection, replicaId, leaseTtlMs }),
    eventIds: (local) => createSharedEventIds(connection, local),
    state,
    async close() {
      await Promise.all(flights.map((flight) => flight.close()));
      await generations.close();
      await membership.close();
      await connection.close();
    },
  };
}
