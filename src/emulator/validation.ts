import {
  getParticipantConstraints,
  listConstraints,
  writeConstraints,
  type FieldConstraint,
} from '../ivs/constraints.js';

/** One input member of an IVS operation, as its front end checks it. */
export type MemberRule =
  | { readonly kind: 'string'; readonly required: boolean; readonly constraint: FieldConstraint }
  | { readonly kind: 'integer'; readonly min: number; readonly max: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'enumList'; readonly values: readonly string[] }
  | { readonly kind: 'stringMap'; readonly maxBytes: number };

export type InputRules = Readonly<Record<string, MemberRule>>;

/** Parsed input: only the members the rules name, each of the type its rule says. */
export type ValidInput = Readonly<
  Record<string, string | number | boolean | readonly string[] | Readonly<Record<string, string>> | undefined>
>;

export type InputValidation =
  { readonly ok: true; readonly input: ValidInput } | { readonly ok: false; readonly message: string };

const required = (constraint: FieldConstraint): MemberRule => ({ kind: 'string', required: true, constraint });
const optional = (constraint: FieldConstraint): MemberRule => ({ kind: 'string', required: false, constraint });
const maxResults: MemberRule = { kind: 'integer', ...listConstraints.maxResults };
const { stageArn, sessionId, participantId } = getParticipantConstraints;

/** Each emulated operation's input members (AWS's IVS Real-Time API reference). */
export const operationInputs = {
  GetParticipant: {
    stageArn: required(stageArn),
    sessionId: required(sessionId),
    participantId: required(participantId),
  },
  GetStage: { arn: required(stageArn) },
  GetStageSession: { stageArn: required(stageArn), sessionId: required(sessionId) },
  ListStageSessions: {
    stageArn: required(stageArn),
    nextToken: optional(listConstraints.nextToken),
    maxResults,
  },
  ListParticipants: {
    stageArn: required(stageArn),
    sessionId: required(sessionId),
    filterByUserId: optional(listConstraints.filterByUserId),
    filterByPublished: { kind: 'boolean' },
    filterByState: { kind: 'enum', values: ['CONNECTED', 'DISCONNECTED'] },
    filterByRecordingState: { kind: 'enum', values: ['STARTING', 'ACTIVE', 'STOPPING', 'STOPPED', 'FAILED'] },
    nextToken: optional(listConstraints.nextToken),
    maxResults,
  },
  ListParticipantEvents: {
    stageArn: required(stageArn),
    sessionId: required(sessionId),
    participantId: required(participantId),
    nextToken: optional(listConstraints.nextToken),
    maxResults,
  },
  CreateParticipantToken: {
    stageArn: required(stageArn),
    userId: optional(writeConstraints.userId),
    attributes: { kind: 'stringMap', maxBytes: writeConstraints.attributesMaxBytes },
    capabilities: { kind: 'enumList', values: ['PUBLISH', 'SUBSCRIBE'] },
    duration: { kind: 'integer', ...writeConstraints.durationMinutes },
  },
  DisconnectParticipant: {
    stageArn: required(stageArn),
    participantId: required(writeConstraints.participantId),
    reason: optional(writeConstraints.reason),
  },
} as const satisfies Record<string, InputRules>;

/** The IVS operations the emulator serves. */
export type EmulatedOperation = keyof typeof operationInputs;
export const emulatedOperations = Object.keys(operationInputs) as EmulatedOperation[];

/** A validated string member as text ('' when absent); numbers as their digits. */
export function inputText(value: ValidInput[string]): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The key patterns, compiled once (seed and addParticipant checks use them too). */
export const inputPatterns = {
  stageArn: new RegExp(stageArn.pattern),
  sessionId: new RegExp(sessionId.pattern),
  participantId: new RegExp(participantId.pattern),
};

const compiled = new Map<string, RegExp>();
const patternOf = (pattern: string): RegExp => {
  let regex = compiled.get(pattern);
  if (regex === undefined) compiled.set(pattern, (regex = new RegExp(pattern)));
  return regex;
};

/** Validates a parsed request body the way the AWS front end does, with its message format. */
export function validateInput(rules: InputRules, body: unknown): InputValidation {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, message: 'Request body must be a JSON object' };
  }
  const record = body as Record<string, unknown>;
  const problems = Object.entries(rules)
    .map(([member, rule]) => memberProblem(member, rule, record[member]))
    .filter((problem) => problem !== undefined);
  if (problems.length > 0) {
    const count = `${problems.length} validation error${problems.length === 1 ? '' : 's'} detected: `;
    return { ok: false, message: count + problems.join('; ') };
  }
  const input: Record<string, ValidInput[string]> = {};
  for (const member of Object.keys(rules)) {
    const value = record[member];
    if (value !== undefined && value !== null) input[member] = value as ValidInput[string];
  }
  return { ok: true, input };
}

/** GetParticipant's validation, kept by name for the seed and `addParticipant` checks. */
export function validateGetParticipantInput(body: unknown): InputValidation {
  return validateInput(operationInputs.GetParticipant, body);
}

function memberProblem(member: string, rule: MemberRule, value: unknown): string | undefined {
  const at = (shown: string) => `Value ${shown} at '${member}' failed to satisfy constraint: Member must`;
  if (value === undefined || value === null) {
    return rule.kind === 'string' && rule.required ? `${at('null')} not be null` : undefined;
  }
  const shown = `'${typeof value === 'string' ? value : JSON.stringify(value)}'`;
  switch (rule.kind) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${at(shown)} be a boolean`;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return `${at(shown)} be an integer`;
      if (value < rule.min) return `${at(shown)} have value greater than or equal to ${rule.min}`;
      if (value > rule.max) return `${at(shown)} have value less than or equal to ${rule.max}`;
      return undefined;
    case 'enum':
      return typeof value === 'string' && rule.values.includes(value)
        ? undefined
        : `${at(shown)} satisfy enum value set: [${rule.values.join(', ')}]`;
    case 'enumList':
      return Array.isArray(value) && value.every((item) => typeof item === 'string' && rule.values.includes(item))
        ? undefined
        : `${at(shown)} be a list of [${rule.values.join(', ')}]`;
    case 'stringMap': {
      const entries = typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];
      if (typeof value !== 'object' || Array.isArray(value) || entries.some(([, item]) => typeof item !== 'string')) {
        return `${at(shown)} be a map of strings`;
      }
      const bytes = entries.reduce(
        (sum, [key, item]) => sum + Buffer.byteLength(key) + Buffer.byteLength(String(item)),
        0,
      );
      return bytes <= rule.maxBytes ? undefined : `${at('map')} have at most ${rule.maxBytes} bytes in total`;
    }
    case 'string': {
      if (typeof value !== 'string') return `${at(`'${JSON.stringify(value)}'`)} be a string`;
      const { min, max, pattern } = rule.constraint;
      if (value.length < min) return `${at(shown)} have length greater than or equal to ${min}`;
      if (value.length > max) return `${at(shown)} have length less than or equal to ${max}`;
      if (!patternOf(pattern).test(value)) return `${at(shown)} satisfy regular expression pattern: ${pattern}`;
      return undefined;
    }
  }
}
