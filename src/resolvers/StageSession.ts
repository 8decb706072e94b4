import type { StageSessionResolvers } from '../__generated__/resolvers-types.js';
import { globalId } from '../globalId.js';
import { loadRoster, loadStageSession } from './loadStageReads.js';

export const StageSession: StageSessionResolvers = {
  __resolveReference: (reference, context) => loadStageSession(context, reference),
  id: ({ stageArn, sessionId }) => globalId({ type: 'StageSession', key: { stageArn, sessionId } }),
  participants: (session, args, context) => loadRoster(context, session, args),
};
