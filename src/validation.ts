import { ErrorCode, LookupError } from './errors.js';
import { getParticipantConstraints, type FieldConstraint } from './ivs/constraints.js';
import type { ParticipantKey } from './model.js';

// AWS's published constraints, except that an empty participantId is refused:
// it can never name a participant, so asking IVS would only spend quota.
const rules: Record<keyof ParticipantKey, FieldConstraint & { describe: string }> = {
  stageArn: {
    ...getParticipantConstraints.stageArn,
    describe: 'a stage ARN like arn:aws:ivs:us-east-1:123456789012:stage/abcdABCDefgh (at most 128 characters)',
  },
  sessionId: {
    ...getParticipantConstraints.sessionId,
    describe: '"st-" followed by 13 letters or digits (exactly 16 characters)',
  },
  participantId: { ...getParticipantConstraints.participantId, min: 1, describe: '1 to 64 letters, digits or hyphens' },
};

const patterns = {
  stageArn: new RegExp(rules.stageArn.pattern),
  sessionId: new RegExp(rules.sessionId.pattern),
  participantId: new RegExp(rules.participantId.pattern),
};

function checkKeyField(field: keyof ParticipantKey, value: unknown): string | undefined {
  const rule = rules[field];
  const fits =
    typeof value === 'string' && value.length >= rule.min && value.length <= rule.max && patterns[field].test(value);
  return fits ? undefined : `${field} must be ${rule.describe}`;
}

/**
 * The stages one gateway can look up: one IVS client serves one region, and one account when the
 * gateway knows it (IVS_ACCOUNT_ID; the embedded emulator's demo account).
 */
export interface ServedStages {
  readonly region: string;
  readonly accountId: string | null;
}

/** `extensions.reason` of a well-formed stage ARN that this gateway cannot serve. */
const stageNotServed = 'STAGE_NOT_SERVED';

/**
 * Returns the key when every field meets IVS's constraints and the stage is one this gateway serves;
 * otherwise throws BAD_USER_INPUT naming each bad field, so invalid input never costs an upstream call
 * (a stage in another region or account would spend quota only to be answered NOT_FOUND).
 */
export function validateParticipantKey(
  input: Record<keyof ParticipantKey, unknown>,
  served: ServedStages,
): ParticipantKey {
  const problems = (Object.keys(rules) as (keyof ParticipantKey)[])
    .map((field) => checkKeyField(field, input[field]))
    .filter((problem) => problem !== undefined);
  if (problems.length > 0) {
    throw new LookupError(ErrorCode.BAD_USER_INPUT, `Invalid participant key: ${problems.join('; ')}`);
  }
  // Copy only the key fields: federation representations carry __typename and may carry more.
  const { stageArn, sessionId, participantId } = input as ParticipantKey;
  const foreign = foreignStageProblem(stageArn, served);
  if (foreign) throw new LookupError(ErrorCode.BAD_USER_INPUT, foreign, { reason: stageNotServed });
  return { stageArn, sessionId, participantId };
}

// arn:aws:ivs:<region>:<account>:stage/<id>, already checked against the pattern above.
function foreignStageProblem(stageArn: string, served: ServedStages): string | undefined {
  const [, , , region, accountId] = stageArn.split(':');
  const account = served.accountId === null ? '' : ` of account ${served.accountId}`;
  if (region !== served.region || (served.accountId !== null && accountId !== served.accountId)) {
    return `stageArn names a stage in ${region} account ${accountId}; this gateway serves stages in ${served.region}${account} only`;
  }
  return undefined;
}
