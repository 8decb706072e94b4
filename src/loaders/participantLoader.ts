import DataLoader from 'dataloader';
import pLimit from 'p-limit';
import type { ParticipantSource } from '../ivs/participantSource.js';
import { participantCacheKey, type ParticipantKey, type ParticipantModel } from '../model.js';

export type ParticipantLoader = DataLoader<ParticipantKey, ParticipantModel, string>;

export interface ParticipantLoaderOptions {
  source: ParticipantSource;
  /** Upstream calls one request may have in flight at once. */
  concurrency: number;
  /** Budget of one lookup, including the wait for a concurrency slot. */
  deadlineMs: number;
}

/**
 * One loader per GraphQL request. Every distinct key in the same tick goes into one batch,
 * duplicates (aliases, fragments, repeated entities) collapse onto one call via `cacheKeyFn`,
 * and each key resolves or fails on its own: the batch returns a LookupError in that key's slot.
 */
export function createParticipantLoader({ source, concurrency, deadlineMs }: ParticipantLoaderOptions): ParticipantLoader {
  return new DataLoader<ParticipantKey, ParticipantModel, string>(
    (keys) => {
      const limit = pLimit(concurrency);
      return Promise.all(
        keys.map((key) => {
          const deadline = AbortSignal.timeout(deadlineMs);
          return limit(() => source.getParticipant(key, deadline)).catch((error: unknown) => error as Error);
        }),
      );
    },
    { cacheKeyFn: participantCacheKey },
  );
}
