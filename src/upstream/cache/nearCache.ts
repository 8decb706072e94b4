import { InMemoryLRUCache, type KeyValueCache, type KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import type { CacheEntry } from './entry.js';

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
