import { DateTimeResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types.js';
import { Mutation } from './Mutation.js';
import { Participant } from './Participant.js';
import { ParticipantEvent } from './ParticipantEvent.js';
import { Query } from './Query.js';
import { Stage } from './Stage.js';
import { StageSession } from './StageSession.js';
import { Subscription } from './Subscription.js';

export const resolvers: Resolvers = {
  DateTime: DateTimeResolver,
  Query,
  Subscription,
  Mutation,
  Node: {
    // The models differ by their keys: a stage has `arn`, a participant `participantId`.
    __resolveType: (node) => ('arn' in node ? 'Stage' : 'participantId' in node ? 'Participant' : 'StageSession'),
  },
  Stage,
  StageSession,
  Participant,
  ParticipantEvent,
};
