import type { SubscriptionResolvers } from '../__generated__/resolvers-types.js';
import { authorizeParticipantKey, authorizeStageArn } from '../auth/principal.js';
import type { GatewayContext } from '../context.js';
import type { LiveFeeds } from '../live/watchers.js';
import type { ParticipantModel } from '../model.js';
import type { RosterUpdateModel } from '../live/rosterDiff.js';
import { validateParticipantKey, validateRosterFilter, validateStageSessionKey } from '../validation.js';

// Validated and authorized like the queries, before anything is watched: a bad key or a stage outside
// the caller's grants fails the subscription with the query's code and costs nothing.
export const Subscription: SubscriptionResolvers = {
  participantChanged: {
    subscribe: async (_parent, args, context) => {
      const key = authorizeParticipantKey(context.principal, validateParticipantKey(args, context.servedStages));
      return liveOf(context).participant(key, context.principal.id);
    },
    resolve: (participant: ParticipantModel) => participant,
  },
  rosterChanged: {
    subscribe: async (_parent, args, context) => {
      const filter = validateRosterFilter(args.filter);
      const { stageArn, sessionId } = validateStageSessionKey(args, context.servedStages);
      authorizeStageArn(context.principal, stageArn);
      return liveOf(context).roster({ stageArn, sessionId, filter }, context.principal.id);
    },
    resolve: (update: RosterUpdateModel) => update,
  },
};

function liveOf(context: GatewayContext): LiveFeeds {
  // Only the live transports build contexts with `live`; HTTP refuses subscriptions before execution.
  if (context.live === undefined) throw new Error('subscription executed without the live transports');
  return context.live;
}
