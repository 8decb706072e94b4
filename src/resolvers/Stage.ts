import type { StageResolvers } from '../__generated__/resolvers-types.js';
import { globalId } from '../globalId.js';
import { loadStage, loadStageSession, loadStageSessions } from './loadStageReads.js';

export const Stage: StageResolvers = {
  __resolveReference: (reference, context) => loadStage(context, reference.arn),
  id: ({ arn }) => globalId({ type: 'Stage', arn }),
  tags: ({ tags }) =>
    Object.entries(tags ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, value })),
  activeSession: ({ arn, activeSessionId }, _args, context) =>
    activeSessionId ? loadStageSession(context, { stageArn: arn, sessionId: activeSessionId }) : null,
  sessions: ({ arn }, args, context) => loadStageSessions(context, arn, args),
};
