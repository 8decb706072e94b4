import type { ParticipantSource } from './ivs/participantSource.js';
import { createParticipantLoader, type ParticipantLoader } from './loaders/participantLoader.js';

/** What every resolver receives. Built fresh for each GraphQL request. */
export interface GatewayContext {
  loaders: { participant: ParticipantLoader };
}

export interface ContextDependencies {
  participantSource: ParticipantSource;
  lookup: { concurrency: number; deadlineMs: number };
}

/** Returns the per-request context factory; fresh loaders mean no data leaks between requests. */
export function createContextFactory(deps: ContextDependencies): () => Promise<GatewayContext> {
  return async () => ({
    loaders: {
      participant: createParticipantLoader({ source: deps.participantSource, ...deps.lookup }),
    },
  });
}
