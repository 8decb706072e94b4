import type { QueryResolvers } from '../__generated__/resolvers-types.js';
import { loadParticipant } from './loadParticipant.js';

export const Query: QueryResolvers = {
  participant: (_parent, args, context) => loadParticipant(context, args),
};
