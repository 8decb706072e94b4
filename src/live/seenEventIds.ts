import { LRUCache } from 'lru-cache';

/**
 * Which event ids were already processed. EventBridge delivers at least once (and retries), so the
 * same id may arrive twice, at one replica or at two; it must be processed once.
 */
export interface SeenEventIds {
  /** True the first time `id` is offered (within the memory's reach), false for every repeat. Never rejects. */
  firstSighting(id: string): Promise<boolean>;
}

/** How long an id is remembered: EventBridge gives up retrying an event after 24 hours. */
export const eventIdMemoryMs = 24 * 60 * 60 * 1000;

/** This process's memory of event ids: the newest `maxEntries`, each for a day. */
export function createLocalEventIds(maxEntries = 100_000): SeenEventIds {
  const seen = new LRUCache<string, true>({ max: maxEntries, ttl: eventIdMemoryMs, ttlAutopurge: false });
  return {
    async firstSighting(id) {
      if (seen.has(id)) return false;
      seen.set(id, true);
      return true;
    },
  };
}
