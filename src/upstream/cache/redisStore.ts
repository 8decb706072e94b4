import {
  InMemoryLRUCache,
  PrefixingKeyValueCache,
  type KeyValueCache,
  type KeyValueCacheSetOptions,
} from '@apollo/utils.keyvaluecache';
import { lookupFailureText } from '../../errors.js';
import type { CacheEntry, EntryCodec } from './entry.js';
import type { RedisConnection } from '../redis/connection.js';
import { checkedIvsDetails } from '../redis/untrusted.js';

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

/**
 * `codec` for entries read back from Redis: a cached NOT_FOUND, whose message a client reads, carries the
 * gateway's own words and only well-formed IVS details, never text another writer stored.
 */
export function redisEntryCodec<V>(codec: EntryCodec<V>): EntryCodec<V> {
  return {
    encode: codec.encode,
    decode(text) {
      const entry = codec.decode(text);
      if (entry?.answer.kind !== 'not_found') return entry;
      const ivs = checkedIvsDetails(entry.answer.ivs);
      return { ...entry, answer: { kind: 'not_found', message: lookupFailureText.NOT_FOUND, ...(ivs && { ivs }) } };
    },
  };
}

export interface NearCacheOptions {
  readonly maxEntries: number;
  /** How long a copy is kept in this process: the longest a replica can miss another's newer write. */
  readonly ttlMs: number;
  /** Wall clock in ms, the entries' own; injected by tests. */
  readonly now?: () => number;
}

/**
 * A short-lived in-process copy of shared entries, so a hot key costs no network hop and no decoding.
 * A copy is only served while its entry is fresh: a stale or expired one is read from the shared
 * store again, so a near copy never hides the answer another replica just wrote for the key.
 */
export function createNearCache<V>(
  far: KeyValueCache<CacheEntry<V>>,
  options: NearCacheOptions,
): KeyValueCache<CacheEntry<V>> {
  const now = options.now ?? Date.now;
  // Counted in entries: Apollo's default size measure would JSON-encode every object it stores.
  const near = new InMemoryLRUCache<{ entry: CacheEntry<V>; until: number }>({
    max: options.maxEntries,
    maxSize: options.maxEntries,
    sizeCalculation: () => 1,
  });
  const keep = (key: string, entry: CacheEntry<V>): Promise<void> => {
    const until = Math.min(now() + options.ttlMs, entry.freshUntil);
    return until > now() ? near.set(key, { entry, until }) : Promise.resolve();
  };
  return {
    async get(key) {
      const copy = await near.get(key);
      if (copy !== undefined && now() < copy.until) return copy.entry;
      const entry = await far.get(key);
      if (entry !== undefined) await keep(key, entry);
      return entry;
    },
    async set(key, entry, setOptions?: KeyValueCacheSetOptions) {
      await keep(key, entry);
      await far.set(key, entry, setOptions);
    },
    async delete(key) {
      await near.delete(key);
      return far.delete(key);
    },
  };
}
