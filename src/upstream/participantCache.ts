import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { participantKeyText, type ParticipantKey } from '../model.js';
import { decodeCacheEntry, encodeCacheEntry, type CachedAnswer } from './cacheEntry.js';

export interface CacheTtls {
  /** A CONNECTED participant, or one without a state: it may change at any moment. */
  readonly connectedMs: number;
  /** A DISCONNECTED participant: IVS never reconnects a participant ID, so little changes after this. */
  readonly disconnectedMs: number;
  readonly notFoundMs: number;
  /** How long a participant is kept past its freshness for serving stale; NOT_FOUND is never served stale. */
  readonly staleMs: number;
}

export interface CacheRead {
  readonly freshness: 'fresh' | 'stale';
  readonly answer: CachedAnswer;
}

/** The process-wide answer cache of the upstream layer, over any Apollo KeyValueCache. */
export interface ParticipantCache {
  /** A fresh entry, a stale participant still inside its stale window, or undefined (also when the store fails). */
  read(key: ParticipantKey): Promise<CacheRead | undefined>;
  /** Stores an answer for as long as its TTLs say; a failing store is reported, never thrown. */
  write(key: ParticipantKey, answer: CachedAnswer): Promise<void>;
}

export interface ParticipantCacheOptions {
  /** In-process LRU today (memoryStore.ts); Redis through @apollo/utils.keyvadapter fits the same slot. */
  readonly store: KeyValueCache<string>;
  readonly ttls: CacheTtls;
  readonly onStoreError: (error: unknown) => void;
  /** Wall clock in ms; injected by tests. */
  readonly now?: () => number;
}

/** How long an answer is served as is. */
export function freshnessMs(answer: CachedAnswer, ttls: CacheTtls): number {
  if (answer.kind === 'not_found') return ttls.notFoundMs;
  return answer.participant.state === 'DISCONNECTED' ? ttls.disconnectedMs : ttls.connectedMs;
}

/** How long an answer is kept in the store: its freshness plus, for participants, the stale window. */
function retentionMs(answer: CachedAnswer, ttls: CacheTtls): number {
  return freshnessMs(answer, ttls) + (answer.kind === 'participant' ? ttls.staleMs : 0);
}

export function createParticipantCache({
  store,
  ttls,
  onStoreError,
  now = Date.now,
}: ParticipantCacheOptions): ParticipantCache {
  const storeKey = (key: ParticipantKey): string => `ivs-participant:${participantKeyText(key)}`;
  return {
    async read(key) {
      let text: string | undefined;
      try {
        text = await store.get(storeKey(key));
      } catch (error) {
        onStoreError(error);
        return undefined;
      }
      const entry = text === undefined ? undefined : decodeCacheEntry(text);
      if (entry === undefined) return undefined;
      const at = now();
      if (at < entry.freshUntil) return { freshness: 'fresh', answer: entry.answer };
      if (at < entry.staleUntil) return { freshness: 'stale', answer: entry.answer };
      return undefined;
    },

    async write(key, answer) {
      const keepMs = retentionMs(answer, ttls);
      if (keepMs <= 0) return;
      const storedAt = now();
      const text = encodeCacheEntry({
        answer,
        storedAt,
        freshUntil: storedAt + freshnessMs(answer, ttls),
        staleUntil: storedAt + keepMs,
      });
      try {
        // KeyValueCache TTLs are in seconds; the store only evicts, `read` judges freshness itself.
        await store.set(storeKey(key), text, { ttl: keepMs / 1000 });
      } catch (error) {
        onStoreError(error);
      }
    },
  };
}

/** For UPSTREAM_CACHE_MAX_ENTRIES=0: every read misses, nothing is kept. */
export const disabledParticipantCache: ParticipantCache = {
  read: async () => undefined,
  write: async () => undefined,
};
