import DataLoader from 'dataloader';
import type { LookupRequest } from '../upstream/caller.js';
import { recordLookup, type LookupStats } from '../upstream/lookupStats.js';
import type { UpstreamRead } from '../upstream/read.js';

export interface ReadLoaderOptions<K, V> {
  /** The process-wide upstream layer of one IVS operation: cache, flight, quota, retries, breaker. */
  read: UpstreamRead<K, V>;
  /** One string per distinct key, the same text the upstream layer uses. */
  keyText: (key: K) => string;
  /** Who asks and how they treat caches; passed down to every lookup. */
  request: LookupRequest;
  /** This GraphQL request's stats: the loader adds up what each lookup reports. */
  stats: LookupStats;
}

/**
 * One loader per operation per GraphQL request. Every distinct key in the same tick goes into one batch,
 * duplicates (aliases, fragments, repeated entities) collapse onto one lookup via `cacheKeyFn`,
 * and each key resolves or fails on its own: the batch returns a LookupError in that key's slot.
 * Concurrency and deadlines are the upstream layer's business, shared by all requests.
 */
export function createReadLoader<K, V>({
  read,
  keyText,
  request,
  stats,
}: ReadLoaderOptions<K, V>): DataLoader<K, V, string> {
  return new DataLoader<K, V, string>(
    (keys) =>
      Promise.all(
        keys.map(async (key) => {
          const outcome = await read.lookup(key, request);
          recordLookup(stats, outcome.report, outcome.ok ? undefined : outcome.error.code);
          return outcome.ok ? outcome.value : outcome.error;
        }),
      ),
    { cacheKeyFn: keyText },
  );
}
