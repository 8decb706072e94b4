import { InMemoryLRUCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';

export interface MemoryStoreLimits {
  readonly maxEntries: number;
  /** UTF-8 bytes of keys plus values. */
  readonly maxBytes: number;
}

/**
 * The in-process store behind the participant cache: Apollo's LRU, bounded by bytes and also by
 * entries, because a byte bound alone lets small NOT_FOUND entries pile up by the hundred thousand,
 * each with lru-cache's per-entry bookkeeping. A shared KeyValueCache can replace it unchanged.
 */
export function createMemoryStore({ maxEntries, maxBytes }: MemoryStoreLimits): KeyValueCache<string> {
  return new InMemoryLRUCache<string>({
    max: maxEntries,
    maxSize: maxBytes,
    // Apollo's default counts UTF-16 units of the value only.
    sizeCalculation: (value, key) => Buffer.byteLength(value) + Buffer.byteLength(key),
  });
}
