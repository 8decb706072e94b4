import { DateTimeResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types.js';
import { Participant } from './Participant.js';
import { Query } from './Query.js';

export const resolvers: Resolvers = {
  DateTime: DateTimeResolver,
  Query,
  Participant,
};
