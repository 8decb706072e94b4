import type { MutationResolvers, ParticipantToken } from '../__generated__/resolvers-types.js';
import type { MintedToken } from '../ivs/operations/writes.js';

export const Mutation: MutationResolvers = {
  createParticipantToken: async (_parent, { input }, context) =>
    participantToken(await context.moderation.mint(context.principal, input)),
  disconnectParticipant: async (_parent, { input }, context) => {
    const { stageArn, participantId } = await context.moderation.disconnect(context.principal, input);
    return { stageArn, participantId, disconnected: true };
  },
};

function participantToken(minted: MintedToken): ParticipantToken {
  return {
    token: minted.token,
    participantId: minted.participantId,
    userId: minted.userId ?? null,
    attributes: Object.entries(minted.attributes)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, value })),
    capabilities: [...minted.capabilities],
    expirationTime: minted.expirationTime,
  };
}
