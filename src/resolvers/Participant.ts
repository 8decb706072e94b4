import type { ParticipantResolvers } from '../__generated__/resolvers-types.js';
import type { GatewayContext } from '../context.js';
import { isRosterParticipant, type ParticipantModel, type ParticipantParent } from '../model.js';
import { globalId } from '../globalId.js';
import { knownEnumValue } from './knownEnumValue.js';
import { loadParticipantEvents, loadStageSession } from './loadStageReads.js';
import { loadParticipant } from './loadParticipant.js';

/**
 * The participant with every GetParticipant field. A roster participant has only the summary fields, so
 * the first detail field a query selects loads it (one lookup per participant however many detail fields:
 * the request's DataLoader holds it); a participant from GetParticipant is already complete.
 */
function full(participant: ParticipantParent, context: GatewayContext): Promise<ParticipantModel> | ParticipantModel {
  return isRosterParticipant(participant) ? loadParticipant(context, participant) : participant;
}

/** A resolver for a field only GetParticipant returns. */
const detail =
  <F extends keyof ParticipantModel>(field: F) =>
  async (participant: ParticipantParent, _args: unknown, context: GatewayContext) =>
    (await full(participant, context))[field] ?? null;

export const Participant: ParticipantResolvers = {
  // Federation entry point: the same per-request loader as Query.participant, so N representations
  // from a router cost one IVS call per distinct key, and each one fails alone.
  __resolveReference: (reference, context) => loadParticipant(context, reference),

  id: ({ stageArn, sessionId, participantId }) =>
    globalId({ type: 'Participant', key: { stageArn, sessionId, participantId } }),

  attributes: async (participant, _args, context) =>
    Object.entries((await full(participant, context)).attributes ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, value })),

  // hasOwn: a key such as "constructor" must not reach Object.prototype.
  attribute: async (participant, { key }, context) => {
    const attributes = (await full(participant, context)).attributes ?? {};
    return Object.hasOwn(attributes, key) ? (attributes[key] ?? null) : null;
  },

  ispName: detail('ispName'),
  osName: detail('osName'),
  osVersion: detail('osVersion'),
  browserName: detail('browserName'),
  browserVersion: detail('browserVersion'),
  sdkVersion: detail('sdkVersion'),
  recordingS3BucketName: detail('recordingS3BucketName'),
  recordingS3Prefix: detail('recordingS3Prefix'),
  protocol: async (participant, _args, context, info) =>
    knownEnumValue((await full(participant, context)).protocol, info),

  state: (participant, _args, _context, info) => knownEnumValue(participant.state, info),
  recordingState: (participant, _args, _context, info) => knownEnumValue(participant.recordingState, info),
  replicationType: (participant, _args, _context, info) => knownEnumValue(participant.replicationType, info),
  replicationState: (participant, _args, _context, info) => knownEnumValue(participant.replicationState, info),

  session: ({ stageArn, sessionId }, _args, context) => loadStageSession(context, { stageArn, sessionId }),
  events: (participant, args, context) => loadParticipantEvents(context, participant, args),
};
