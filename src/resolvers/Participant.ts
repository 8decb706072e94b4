import { getNamedType, isEnumType, type GraphQLResolveInfo } from 'graphql';
import type { ParticipantResolvers } from '../__generated__/resolvers-types.js';
import { loadParticipant } from './loadParticipant.js';

export const Participant: ParticipantResolvers = {
  // Federation entry point: the same per-request loader as Query.participant, so N representations
  // from a router cost one IVS call per distinct key, and each one fails alone.
  __resolveReference: (reference, context) => loadParticipant(context, reference),

  attributes: (participant) =>
    Object.entries(participant.attributes ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, value })),

  // hasOwn: a key such as "constructor" must not reach Object.prototype.
  attribute: (participant, { key }) => {
    const attributes = participant.attributes ?? {};
    return Object.hasOwn(attributes, key) ? (attributes[key] ?? null) : null;
  },

  // A value IVS added after this schema was written reads as null instead of failing the whole field.
  state: (participant, _args, _context, info) => knownEnumValue(participant.state, info),
  recordingState: (participant, _args, _context, info) => knownEnumValue(participant.recordingState, info),
  protocol: (participant, _args, _context, info) => knownEnumValue(participant.protocol, info),
  replicationType: (participant, _args, _context, info) => knownEnumValue(participant.replicationType, info),
  replicationState: (participant, _args, _context, info) => knownEnumValue(participant.replicationState, info),
};

/** `value` if the field's GraphQL enum has it, else null. */
function knownEnumValue<T extends string>(value: T | undefined, info: GraphQLResolveInfo): T | null {
  const type = getNamedType(info.returnType);
  return value !== undefined && isEnumType(type) && type.getValue(value) !== undefined ? value : null;
}
