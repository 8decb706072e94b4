import { InMemoryLRUCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';

export interface MemoryStoreLimits {
  readonly maxEntries: number;
  /** UTF-8 bytes of keys plus values (as JSON). */
  readonly maxBytes: number;
}

/**
 * The in-process store behind an answer cache: Apollo's LRU of the entry objects themselves, so a hit
 * costs no decoding and no schema check (a value's size is measured once, as JSON, when it is stored).
 * Bounded by bytes and also by entries, because a byte bound alone lets small NOT_FOUND entries pile
 * up by the hundred thousand, each with lru-cache's per-entry bookkeeping. Callers must not mutate
 * what they read: every hit returns the same object.
 */
export function createMemoryStore<V extends object>({ maxEntries, maxBytes }: MemoryStoreLimits): KeyValueCache<V> {
  return new InMemoryLRUCache<V>({
    max: maxEntries,
    maxSize: maxBytes,
    sizeCalculation: (value, key) => Buffer.byteLength(JSON.stringify(value)) + Buffer.byteLength(key),
  });
}
