import type { QueryResolvers } from '../__generated__/resolvers-types.js';
import { validateParticipantKey } from '../validation.js';

export const Query: QueryResolvers = {
  participant: (_parent, args, context) => context.loaders.participant.load(validateParticipantKey(args)),
};
