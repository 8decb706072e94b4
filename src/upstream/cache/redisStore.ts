import { PrefixingKeyValueCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';
import { lookupFailureText } from '../../errors.js';
import type { EntryCodec } from './entry.js';
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
