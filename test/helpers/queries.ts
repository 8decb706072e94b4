import { demo } from './stack.js';

/** The `participant` field with stage, session and participant as variables, selecting `fields`. */
export function participantQuery(fields: string): string {
  return `query Participant($stageArn: String!, $sessionId: String!, $participantId: String!) {
  participant(stageArn: $stageArn, sessionId: $sessionId, participantId: $participantId) { ${fields} }
}`;
}

/** The `participant` field in the demo session with only the participant id (`$id`) as a variable. */
export function demoParticipantQuery(fields: string): string {
  return `query ($id: String!) {
  participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: $id) { ${fields} }
}`;
}

/** One query asking for each of `ids` in the demo session, aliased p0, p1, ..., selecting `participantId`. */
export function demoParticipantsQuery(ids: readonly string[]): string {
  const fields = ids.map(
    (id, i) =>
      `p${i}: participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "${id}") { participantId }`,
  );
  return `{ ${fields.join('\n')} }`;
}
