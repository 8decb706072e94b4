import DataLoader from 'dataloader';
import { participantKeyText, type ParticipantKey, type ParticipantModel } from '../model.js';
import type { ReadRequest } from '../upstream/caller.js';
import type { ParticipantLookup } from '../upstream/fromConfig.js';
import { recordLookup, type LookupStats } from '../upstream/lookupStats.js';

export type ParticipantLoader = DataLoader<ParticipantKey, ParticipantModel, string>;

export interface ParticipantLoaderOptions {
  /** The process-wide upstream layer: cache, flight, quota, retries, breaker. */
  participants: ParticipantLookup;
  /** Who asks and how they treat caches; passed down to every lookup. */
  request: ReadRequest;
  /** This GraphQL request's stats: the loader adds up what each lookup reports. */
  stats: LookupStats;
}

/**
 * One loader per GraphQL request. Every distinct key in the same tick goes into one batch,
 * duplicates (aliases, fragments, repeated entities) collapse onto one lookup via `cacheKeyFn`,
 * and each key resolves or fails on its own: the batch returns a LookupError in that key's slot.
 * Concurrency and deadlines are the upstream layer's business, shared by all requests.
 */
export function createParticipantLoader({ participants, request, stats }: ParticipantLoaderOptions): ParticipantLoader {
  return new DataLoader<ParticipantKey, ParticipantModel, string>(
    (keys) =>
      Promise.all(
        keys.map(async (key) => {
          const outcome = await participants.read(key, request);
          recordLookup(stats, outcome.report, outcome.ok ? undefined : outcome.error.code);
          return outcome.ok ? outcome.value : outcome.error;
        }),
      ),
    { cacheKeyFn: participantKeyText },
  );
}
