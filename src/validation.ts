import { ErrorCode, LookupError } from './errors.js';
import type { ParticipantKey } from './model.js';

interface FieldRule {
  pattern: RegExp;
  minLength: number;
  maxLength: number;
  describe: string;
}

// AWS's published GetParticipant constraints, except that an empty participantId is refused:
// it can never name a participant, so asking IVS would only spend quota.
const rules: Record<keyof ParticipantKey, FieldRule> = {
  stageArn: {
    pattern: /^arn:aws:ivs:[a-z0-9-]+:[0-9]+:stage\/[a-zA-Z0-9-]+$/,
    minLength: 1,
    maxLength: 128,
    describe: 'a stage ARN like arn:aws:ivs:us-east-1:123456789012:stage/abcdABCDefgh (at most 128 characters)',
  },
  sessionId: {
    pattern: /^st-[a-zA-Z0-9]+$/,
    minLength: 16,
    maxLength: 16,
    describe: '"st-" followed by 13 letters or digits (exactly 16 characters)',
  },
  participantId: {
    pattern: /^[a-zA-Z0-9-]*$/,
    minLength: 1,
    maxLength: 64,
    describe: '1 to 64 letters, digits or hyphens',
  },
};

function checkKeyField(field: keyof ParticipantKey, value: unknown): string | undefined {
  const rule = rules[field];
  const fits =
    typeof value === 'string' &&
    value.length >= rule.minLength &&
    value.length <= rule.maxLength &&
    rule.pattern.test(value);
  return fits ? undefined : `${field} must be ${rule.describe}`;
}

/**
 * Returns the key when every field meets IVS's constraints; otherwise throws BAD_USER_INPUT
 * naming each bad field, so invalid input never costs an upstream call.
 */
export function validateParticipantKey(input: Record<keyof ParticipantKey, unknown>): ParticipantKey {
  const problems = (Object.keys(rules) as (keyof ParticipantKey)[])
    .map((field) => checkKeyField(field, input[field]))
    .filter((problem) => problem !== undefined);
  if (problems.length > 0) {
    throw new LookupError(ErrorCode.BAD_USER_INPUT, `Invalid participant key: ${problems.join('; ')}`);
  }
  // Copy only the key fields: federation representations carry __typename and may carry more.
  const { stageArn, sessionId, participantId } = input as ParticipantKey;
  return { stageArn, sessionId, participantId };
}
