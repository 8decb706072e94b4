import {
  InMemoryLRUCache,
  PrefixingKeyValueCache,
  type KeyValueCache,
  type KeyValueCacheSetOptions,
} from '@apollo/utils.keyvaluecache';
import type { RedisConnection } from './connection.js';

/**
 * Strings in Redis under `<REDIS_KEY_PREFIX>cache:`. Every Redis error is a miss (get) or a no-op
 * (set, delete), and while the connection is down no command is even tried, so a Redis outage costs
 * lookups nothing but the shared hits. Apollo's ErrorsAreMissesCache is not used: it logs each
 * failed get, one line per request during an outage, and still throws on set.
 */
export function createRedisStore(connection: RedisConnection): KeyValueCache<string> {
  const { client } = connection;
  const up = (): boolean => connection.health() === 'up';
  const store: KeyValueCache<string> = {
    async get(key) {
      if (!up()) return undefined;
      const value = await client.get(key).catch(() => null);
      return value ?? undefined;
    },
    async set(key, value, options) {
      if (!up()) return;
      const ttlMs = options?.ttl ? Math.ceil(options.ttl * 1000) : undefined;
      await (ttlMs === undefined ? client.set(key, value) : client.set(key, value, 'PX', ttlMs)).catch(() => undefined);
    },
    async delete(key) {
      if (!up()) return false;
      return (await client.del(key).catch(() => 0)) > 0;
    },
  };
  return new PrefixingKeyValueCache(store, connection.key('cache', ''));
}

export interface NearCacheOptions {
  readonly maxEntries: number;
  /** How long a copy is kept in this process: the longest a replica can miss another's newer write. */
  readonly ttlMs: number;
}

/**
 * A short-lived in-process copy in front of a shared store, so a hot key costs no network hop.
 * Values keep their own absolute freshness times, so a near copy never extends what is served as
 * fresh; it only delays, by at most `ttlMs`, seeing a value another replica wrote since.
 */
export function createNearCache<V extends object | string>(
  far: KeyValueCache<V>,
  options: NearCacheOptions,
): KeyValueCache<V> {
  // Counted in entries: Apollo's default size measure would JSON-encode every object it stores.
  const near = new InMemoryLRUCache<V>({ max: options.maxEntries, maxSize: options.maxEntries, sizeCalculation: () => 1 });
  const nearSet = (key: string, value: V, ttlSeconds: number | null | undefined): Promise<void> => {
    const ttl = Math.min(options.ttlMs / 1000, ttlSeconds ?? Infinity);
    return ttl > 0 ? near.set(key, value, { ttl }) : Promise.resolve();
  };
  return {
    async get(key) {
      const copy = await near.get(key);
      if (copy !== undefined) return copy;
      const value = await far.get(key);
      if (value !== undefined) await nearSet(key, value, undefined);
      return value;
    },
    async set(key, value, setOptions?: KeyValueCacheSetOptions) {
      await nearSet(key, value, setOptions?.ttl);
      await far.set(key, value, setOptions);
    },
    async delete(key) {
      await near.delete(key);
      return far.delete(key);
    },
  };
}
