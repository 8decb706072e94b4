import { getParticipantConstraints as inputConstraints } from '../ivs/constraints.js';

/** GetParticipant input as IVS accepts it. */
export interface GetParticipantInput {
  readonly stageArn: string;
  readonly sessionId: string;
  readonly participantId: string;
}

/** The same patterns, compiled once. */
export const inputPatterns = {
  stageArn: new RegExp(inputConstraints.stageArn.pattern),
  sessionId: new RegExp(inputConstraints.sessionId.pattern),
  participantId: new RegExp(inputConstraints.participantId.pattern),
};

export type InputValidation =
  { readonly ok: true; readonly input: GetParticipantInput } | { readonly ok: false; readonly message: string };

/** Validates a parsed request body the way the AWS front end does, with its message format. */
export function validateGetParticipantInput(body: unknown): InputValidation {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, message: 'Request body must be a JSON object' };
  }
  const record = body as Record<string, unknown>;
  const problems: string[] = [];
  for (const field of Object.keys(inputConstraints) as (keyof GetParticipantInput)[]) {
    const problem = fieldProblem(field, record[field]);
    if (problem !== undefined) problems.push(problem);
  }
  if (problems.length > 0) {
    const count = `${problems.length} validation error${problems.length === 1 ? '' : 's'} detected: `;
    return { ok: false, message: count + problems.join('; ') };
  }
  return {
    ok: true,
    input: {
      stageArn: record['stageArn'] as string,
      sessionId: record['sessionId'] as string,
      participantId: record['participantId'] as string,
    },
  };
}

function fieldProblem(field: keyof GetParticipantInput, value: unknown): string | undefined {
  const { min, max, pattern } = inputConstraints[field];
  if (value === undefined || value === null) {
    return `Value null at '${field}' failed to satisfy constraint: Member must not be null`;
  }
  if (typeof value !== 'string') {
    return `Value '${JSON.stringify(value)}' at '${field}' failed to satisfy constraint: Member must be a string`;
  }
  const prefix = `Value '${value}' at '${field}' failed to satisfy constraint: Member must`;
  if (value.length < min) return `${prefix} have length greater than or equal to ${min}`;
  if (value.length > max) return `${prefix} have length less than or equal to ${max}`;
  if (!inputPatterns[field].test(value)) return `${prefix} satisfy regular expression pattern: ${pattern}`;
  return undefined;
}
