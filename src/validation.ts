import { ErrorCode, LookupError } from './errors.js';
import type { ParticipantRecordingState, ParticipantState } from './__generated__/resolvers-types.js';
import { getParticipantConstraints, listConstraints, type FieldConstraint } from './ivs/constraints.js';
import type { ParticipantKey, RosterFilter, StageSessionKey } from './model.js';

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
 * The stages one gateway can look up: those of its regions (one IVS client each), and of one account
 * when the gateway knows it (IVS_ACCOUNT_ID; the embedded emulator's demo account).
 */
export interface ServedStages {
  readonly regions: readonly string[];
  readonly accountId: string | null;
}

/** `extensions.reason` of a well-formed stage ARN that this gateway cannot serve. */
const stageNotServed = 'STAGE_NOT_SERVED';

/** The region part of a stage ARN (arn:aws:ivs:<region>:<account>:stage/<id>). */
export function regionOfStage(stageArn: string): string {
  return stageArn.split(':')[3] ?? '';
}

/** Whether a well-formed stage ARN names a stage of one of the served regions (and of the served account, if known). */
export function servesStage(stageArn: string, served: ServedStages): boolean {
  const [, , , region = '', accountId] = stageArn.split(':');
  return served.regions.includes(region) && (served.accountId === null || accountId === served.accountId);
}

// A stage in another region or account would spend quota only to be answered NOT_FOUND (and cached so).
// `stageArn` already fits the pattern arn:aws:ivs:<region>:<account>:stage/<id>.
function refuseForeignStage(stageArn: string, served: ServedStages): void {
  if (servesStage(stageArn, served)) return;
  const [, , , region = '', accountId] = stageArn.split(':');
  const account = served.accountId === null ? '' : ` of account ${served.accountId}`;
  throw new LookupError(
    ErrorCode.BAD_USER_INPUT,
    `stageArn names a stage in ${region} account ${accountId}; this gateway serves stages in ${served.regions.join(', ')}${account} only`,
    { reason: stageNotServed },
  );
}

/**
 * Returns the key when every field meets IVS's constraints and the stage is one this gateway serves;
 * otherwise throws BAD_USER_INPUT naming each bad field, so invalid input never costs an upstream call.
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
  refuseForeignStage(stageArn, served);
  return { stageArn, sessionId, participantId };
}

/** A stage ARN that meets IVS's constraints and is served here, or BAD_USER_INPUT naming the argument. */
export function validateStageArn(value: unknown, served: ServedStages, argument = 'arn'): string {
  const problem = checkKeyField('stageArn', value);
  if (problem !== undefined) throw new LookupError(ErrorCode.BAD_USER_INPUT, problem.replace(/^stageArn/, argument));
  refuseForeignStage(value as string, served);
  return value as string;
}

/** A stage session key that meets IVS's constraints, or BAD_USER_INPUT naming each bad field. */
export function validateStageSessionKey(
  input: Record<keyof StageSessionKey, unknown>,
  served: ServedStages,
): StageSessionKey {
  const problems = (['stageArn', 'sessionId'] as const)
    .map((field) => checkKeyField(field, input[field]))
    .filter((problem) => problem !== undefined);
  if (problems.length > 0) {
    throw new LookupError(ErrorCode.BAD_USER_INPUT, `Invalid stage session key: ${problems.join('; ')}`);
  }
  refuseForeignStage(input.stageArn as string, served);
  return { stageArn: input.stageArn as string, sessionId: input.sessionId as string };
}

/**
 * Why `first` is not a page size IVS takes (1 to 100 items), or undefined when it is; `connection` names the
 * field in messages given before execution, where no path does.
 */
export function pageSizeProblem(first: unknown, connection?: string): string | undefined {
  const { min, max } = listConstraints.maxResults;
  if (typeof first === 'number' && Number.isInteger(first) && first >= min && first <= max) return undefined;
  const argument = connection === undefined ? 'first' : `${connection}(first:)`;
  return `${argument} must be between ${min} and ${max}, got ${String(first)}`;
}

/** A connection's `first`, or BAD_USER_INPUT when IVS would not take it as a page size. */
export function validatePageSize(first: number): number {
  const problem = pageSizeProblem(first);
  if (problem !== undefined) throw new LookupError(ErrorCode.BAD_USER_INPUT, problem);
  return first;
}

/** Input IVS would refuse, as a client reads it; `reason` names the cause where BAD_USER_INPUT has several. */
export interface InputProblem {
  readonly message: string;
  readonly reason?: string;
}

/** What a roster filter may hold: the schema's `ParticipantFilter`, or the raw argument before execution. */
type RosterFilterInput = Readonly<Record<string, unknown>> | null | undefined;

/** Why IVS would refuse a roster filter (more than one condition, a value it cannot filter on), or undefined. */
export function rosterFilterProblem(filter: RosterFilterInput): InputProblem | undefined {
  const given = Object.entries(filter ?? {}).filter(([, value]) => value !== null && value !== undefined);
  if (given.length > 1) {
    const names = given.map(([name]) => name).join(', ');
    return { message: `IVS filters a roster on one field per call; got ${names}`, reason: 'ONE_FILTER' };
  }
  const userId = filter?.['userId'];
  if (typeof userId === 'string' && userId.length > listConstraints.filterByUserId.max) {
    return { message: `filter.userId must be at most ${listConstraints.filterByUserId.max} characters` };
  }
  if (filter?.['recordingState'] === 'DISABLED') {
    return { message: 'filter.recordingState cannot be DISABLED: IVS does not filter on it' };
  }
  return undefined;
}

/** The roster filter as IVS takes it: at most one condition, since ListParticipants filters on one field. */
export function validateRosterFilter(
  filter:
    | {
        state?: ParticipantState | null | undefined;
        published?: boolean | null | undefined;
        userId?: string | null | undefined;
        recordingState?: ParticipantRecordingState | null | undefined;
      }
    | null
    | undefined,
): RosterFilter | undefined {
  const problem = rosterFilterProblem(filter);
  if (problem !== undefined) {
    throw new LookupError(ErrorCode.BAD_USER_INPUT, problem.message, problem.reason ? { reason: problem.reason } : {});
  }
  const { state, published, userId, recordingState } = filter ?? {};
  if (state != null) return { by: 'state', state };
  if (published != null) return { by: 'published', published };
  if (userId != null) return { by: 'userId', userId };
  // DISABLED was refused above; the comparison narrows the type to the states IVS filters on.
  if (recordingState != null && recordingState !== 'DISABLED') return { by: 'recordingState', recordingState };
  return undefined;
}
