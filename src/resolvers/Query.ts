import type { QueryResolvers } from '../__generated__/resolvers-types.js';
import { parseGlobalId } from '../globalId.js';
import { loadStage, loadStageSession } from './loadStageReads.js';
import { loadParticipant } from './loadParticipant.js';

export const Query: QueryResolvers = {
  participant: (_parent, args, context) => loadParticipant(context, args),
  stage: (_parent, { arn }, context) => loadStage(context, arn),
  stageSession: (_parent, args, context) => loadStageSession(context, args),
  // The same path (validation, grants, loader) as the type's own query, so an ID costs what its query costs.
  node: async (_parent, { id }, context) => {
    const ref = parseGlobalId(id);
    switch (ref.type) {
      case 'Stage':
        return loadStage(context, ref.arn);
      case 'StageSession':
        return loadStageSession(context, ref.key);
      case 'Participant':
        return loadParticipant(context, ref.key);
    }
  },
};
