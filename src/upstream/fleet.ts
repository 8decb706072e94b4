import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { codedStore, type CacheEntry, type EntryCodec } from './cache/entry.js';
import { systemClock } from '../clock.js';
import { createLocalFlight, type Flight } from './flight/flight.js';
import { quotaDomainText, type QuotaDomain } from './quota/domain.js';
import type { SlotSource } from './quota/slots.js';
import { createRedisConnection, type RedisConnection, type RedisHealth } from './redis/connection.js';
import type { StartBudget } from './quota/localShare.js';
import { createMembership } from './redis/membership.js';
import { createRedisFlight } from './flight/redisFlight.js';
import { createRedisSlots, type SlotsMode } from './quota/redisSlots.js';
import { createNearCache } from './cache/nearCache.js';
import { createRedisStore, redisEntryCodec } from './cache/redisStore.js';
import { createRedisGenerations } from './cache/redisGenerations.js';
import type { StageGenerations } from './cache/invalidation.js';

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

/** The shared parts the upstream layer plugs in when REDIS_URL is set, and the connection they share. */
export interface Fleet {
  /** The fleet-wide start window of one quota domain. */
  slots(domain: QuotaDomain, quota: StartBudget & { readonly recoveryStepMs?: number }): SlotSource;
  /** One call per key across the fleet; a claim not refreshed for `claimTtlMs` is taken over. */
  flight<T>(claimTtlMs: number): Flight<T>;
  /** Entries as text in Redis, behind a short-lived in-process copy of at most `nearEntries` of them. */
  store<V>(codec: EntryCodec<V>, nearEntries: number): KeyValueCache<CacheEntry<V>>;
  /** The one Redis connection, for the fleet twins outside this layer (src/live/). */
  readonly connection: RedisConnection;
  /** This replica's name in Redis: the holder of its flight claims and watch leases. */
  readonly replicaId: string;
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

  const generations = createRedisGenerations(connection, logger);

  return {
    generations,
    slots(domain, quota) {
      const text = quotaDomainText(domain);
      modes[text] = 'shared';
      report();
      return createRedisSlots({
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
      const flight = createRedisFlight<T>({ connection, local: createLocalFlight<T>(), claimTtlMs, replicaId });
      flights.push(flight);
      return flight;
    },
    store<V>(codec: EntryCodec<V>, nearEntries: number) {
      const shared = codedStore(createRedisStore(connection), redisEntryCodec(codec));
      if (redis.nearCacheTtlMs === 0) return shared;
      return createNearCache(shared, { maxEntries: nearEntries, ttlMs: redis.nearCacheTtlMs });
    },
    connection,
    replicaId,
    state,
    async close() {
      await Promise.all(flights.map((flight) => flight.close()));
      await generations.close();
      await membership.close();
      await connection.close();
    },
  };
}
