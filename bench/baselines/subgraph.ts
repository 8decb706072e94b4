import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { loadDemoSeed } from '../../src/emulator/seed.js';
import type { ParticipantKey, ParticipantModel } from '../../src/model.js';
import { loadTypeDefs } from '../../src/schema.js';
import { hotKey } from '../fixtures.js';

type SubgraphResolvers = Extract<Parameters<typeof buildSubgraphSchema>[0], { resolvers?: unknown }>['resolvers'];

/** How a baseline gets one participant: a constant, or a direct IVS call. */
export type FetchParticipant = (key: ParticipantKey) => ParticipantModel | Promise<ParticipantModel>;

/**
 * The gateway's schema (schema/*.graphql) with the simplest resolvers that answer it: every
 * `participant` field and every entity representation calls `fetch` once. No input validation,
 * no DataLoader, no cache.
 */
export function buildBaselineSchema(fetch: FetchParticipant): GraphQLSchema {
  const keyOf = ({ stageArn, sessionId, participantId }: ParticipantKey): ParticipantKey => ({
    stageArn,
    sessionId,
    participantId,
  });
  const resolvers: SubgraphResolvers = {
    DateTime: DateTimeResolver,
    Query: { participant: (_parent: unknown, args: ParticipantKey) => fetch(keyOf(args)) },
    Participant: {
      __resolveReference: (reference: ParticipantKey) => fetch(keyOf(reference)),
      attributes: (participant: ParticipantModel) => sortedAttributes(participant),
      attribute: (participant: ParticipantModel, { key }: { key: string }) =>
        Object.hasOwn(participant.attributes ?? {}, key) ? participant.attributes?.[key] : null,
    },
  };
  return buildSubgraphSchema({ typeDefs: loadTypeDefs(), resolvers });
}

/** Attributes as the schema lists them: key-value pairs sorted by key, as the gateway does. */
export function sortedAttributes(participant: ParticipantModel): { key: string; value: string }[] {
  return Object.entries(participant.attributes ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value }));
}

/** The hot-key participant as the SDK would return it (firstJoinTime as a Date), read from the demo seed. */
export function constantParticipant(): ParticipantModel {
  const wire = loadDemoSeed()
    .stages.find((stage) => stage.stageArn === hotKey.stageArn)
    ?.sessions.find((session) => session.sessionId === hotKey.sessionId)
    ?.participants.find((participant) => participant.participantId === hotKey.participantId);
  if (wire === undefined) throw new Error(`The demo seed has no participant ${hotKey.participantId}`);
  const { firstJoinTime, ...rest } = wire;
  // The SDK types enum fields as its known values; the wire (and the seed) carries plain strings.
  return {
    ...rest,
    ...hotKey,
    ...(firstJoinTime !== undefined && { firstJoinTime: new Date(firstJoinTime) }),
  } as ParticipantModel;
}
