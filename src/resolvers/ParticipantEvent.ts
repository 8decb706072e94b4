import type { ParticipantEventResolvers } from '../__generated__/resolvers-types.js';
import { knownEnumValue } from './knownEnumValue.js';

export const ParticipantEvent: ParticipantEventResolvers = {
  name: (event, _args, _context, info) => knownEnumValue(event.name, info),
  errorCode: (event, _args, _context, info) => knownEnumValue(event.errorCode, info),
};
