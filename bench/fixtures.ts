import type { ParticipantKey } from '../src/model.js';
import { participantQuery } from '../test/helpers/queries.js';

/** The emulator's first demo stage and session; `EMULATOR_GENERATED_PARTICIPANTS` adds `p-…` participants here. */
export const benchSession = {
  stageArn: 'arn:aws:ivs:us-east-1:123456789012:stage/DemoStage01',
  sessionId: 'st-DemoSession01',
} as const;

/** The demo participant every hot-key request asks for; the constant baselines answer with her data. */
export const hotKey: ParticipantKey = { ...benchSession, participantId: 'alice' };

/** Mirrors `generateParticipants` in src/emulator/seed.ts: `p-` and the index, zero-padded to at least 4 digits. */
export function generatedKey(index: number, count: number): ParticipantKey {
  const width = Math.max(4, String(count - 1).length);
  return { ...benchSession, participantId: `p-${String(index).padStart(width, '0')}` };
}

/** The single-participant operation of the hot-key, cold-key and herd scenarios. */
export const singleParticipantQuery = participantQuery(
  'participantId userId state firstJoinTime published protocol attributes { key value }',
);

/** `aliases` aliased `participant` fields over `distinct` keys passed as variables `$k0…`. */
export function fanOutQuery(aliases: number, distinct: number): string {
  const variables = Array.from({ length: distinct }, (_, k) => `$k${k}: String!`).join(', ');
  const fields = Array.from(
    { length: aliases },
    (_, a) =>
      `  a${a}: participant(stageArn: $stageArn, sessionId: $sessionId, participantId: $k${a % distinct}) { participantId userId state }`,
  ).join('\n');
  return `query FanOut($stageArn: String!, $sessionId: String!, ${variables}) {\n${fields}\n}`;
}

/** What a federation router sends to resolve `Participant` entities. */
export const entitiesQuery =
  'query($r:[_Any!]!){ _entities(representations:$r){ ... on Participant { participantId state } } }';

/** An operation as POSTed to /graphql. */
export function graphqlBody(query: string, variables: Record<string, unknown>): string {
  return JSON.stringify({ query, variables });
}
