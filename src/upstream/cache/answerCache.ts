import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { CacheEntry, CachedAnswer } from './entry.js';

/** What a cache read finds: an entry's answer, fresh or inside its stale window, and its age. */
export interface CacheHit<V> {
  readonly freshness: 'fresh' | 'stale';
  readonly answer: CachedAnswer<V>;
  /** When IVS gave this answer (wall clock, ms). */
  readonly fetchedAt: number;
}

/** The process-wide (or, shared, fleet-wide) answer cache of one IVS operation. */
export interface AnswerCache<V> {
  /** The key's hit, or undefined for a miss: no entry, an expired one, or a failing store. */
  read(keyText: string): Promise<CacheHit<V> | undefined>;
  /** Stores an answer for as long as its TTLs say; a failing store is reported, never thrown. */
  write(keyText: string, answer: CachedAnswer<V>): Promise<void>;
}

/** How long answers live. */
export interface AnswerTtls<V> {
  /** How long an answer is served as is. */
  freshnessMs(answer: CachedAnswer<V>): number;
  /** How long a value is kept past its freshness for serving stale; NOT_FOUND is never served stale. */
  readonly staleMs: number;
}

export interface AnswerCacheOptions<V> {
  /** Any Apollo KeyValueCache of entries: the in-process LRU (memoryStore.ts) or a shared store through its codec (codedStore). */
  readonly store: KeyValueCache<CacheEntry<V>>;
  /** Keeps operations apart in one store, e.g. `GetParticipant`. */
  readonly namespace: string;
  readonly ttls: AnswerTtls<V>;
  readonly onStoreError: (error: unknown) => void;
  /** Wall clock in ms; injected by tests. */
  readonly now?: () => number;
}

export function createAnswerCache<V>({
  store,
  namespace,
  ttls,
  onStoreError,
  now = Date.now,
}: AnswerCacheOptions<V>): AnswerCache<V> {
  const storeKey = (keyText: string): string => `ivs:${namespace}:${keyText}`;
  return {
    async read(keyText) {
      let entry: CacheEntry<V> | undefined;
      try {
        entry = await store.get(storeKey(keyText));
      } catch (error) {
        onStoreError(error);
        return undefined;
      }
      if (entry === undefined) return undefined;
      const at = now();
      const { answer, fetchedAt } = entry;
      if (at < entry.freshUntil) return { freshness: 'fresh', answer, fetchedAt };
      if (at < entry.staleUntil) return { freshness: 'stale', answer, fetchedAt };
      return undefined;
    },

    async write(keyText, answer) {
      const freshMs = Math.max(0, ttls.freshnessMs(answer));
      const keepMs = freshMs + (answer.kind === 'value' ? ttls.staleMs : 0);
      if (keepMs <= 0) return;
      const fetchedAt = now();
      const entry: CacheEntry<V> = {
        answer,
        fetchedAt,
        freshUntil: fetchedAt + freshMs,
        staleUntil: fetchedAt + keepMs,
      };
      try {
        // KeyValueCache TTLs are in seconds; the store only evicts, `read` judges freshness itself.
        await store.set(storeKey(keyText), entry, { ttl: keepMs / 1000 });
      } catch (error) {
        onStoreError(error);
      }
    },
  };
}

/** For a cache turned off: every read misses, nothing is kept. */
export function disabledAnswerCache<V>(): AnswerCache<V> {
  return { read: async () => undefined, write: async () => undefined };
}
