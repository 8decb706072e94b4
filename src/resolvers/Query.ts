import type { QueryResolvers } from '../__generated__/resolvers-types.js';
import { authorizeParticipantKey } from '../auth/principal.js';
import { validateParticipantKey } from '../validation.js';

export const Query: QueryResolvers = {
  participant: (_parent, args, context) =>
    context.loaders.participant.load(authorizeParticipantKey(context.principal, validateParticipantKey(args))),
};
