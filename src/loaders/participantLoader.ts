import DataLoader from 'dataloader';
import { participantKeyText, type ParticipantKey, type ParticipantModel } from '../model.js';
import type { LookupRequest, ParticipantLookup } from '../upstream/participantLookup.js';

export type ParticipantLoader = DataLoader<ParticipantKey, ParticipantModel, string>;

export interface ParticipantLoaderOptions {
  /** The process-wide upstream layer: cache, coalescing, quota, retries, breaker. */
  participants: ParticipantLookup;
  /** This GraphQL request's stats and cache mode, passed down to every lookup. */
  request: LookupRequest;
}

/**
 * One loader per GraphQL request. Every distinct key in the same tick goes into one batch,
 * duplicates (aliases, fragments, repeated entities) collapse onto one lookup via `cacheKeyFn`,
 * and each key resolves or fails on its own: the batch returns a LookupError in that key's slot.
 * Concurrency and deadlines are the upstream layer's business, shared by all requests.
 */
export function createParticipantLoader({ participants, request }: ParticipantLoaderOptions): ParticipantLoader {
  return new DataLoader<ParticipantKey, ParticipantModel, string>(
    (keys) =>
      Promise.all(
        keys.map((key) =>
          participants
            .lookup(key, request)
            .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
        ),
      ),
    { cacheKeyFn: participantKeyText },
  );
}
