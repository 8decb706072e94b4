import { ErrorCode, LookupError } from '../errors.js';
import type { ParticipantKey } from '../model.js';

/**
 * The stages a caller may read, from patterns: `*` (every stage), an exact stage ARN, or an ARN
 * prefix ending in `*` such as `arn:aws:ivs:us-east-1:123456789012:stage/*`.
 */
export interface StageAccess {
  allows(stageArn: string): boolean;
  /** The granted patterns, sorted, as JSON: equal exactly for callers with the same grants. */
  readonly fingerprint: string;
}

/** How a caller shares the IVS quota with others (src/upstream/waitQueue.ts, README "Fair share"). */
export interface QuotaShare {
  /** Relative share while callers compete for quota; 1 unless the credential says otherwise. */
  readonly weight: number;
  /** Whether the caller's `Cache-Control: no-cache` may ask IVS again; if not, the header is ignored. */
  readonly mayRevalidate: boolean;
}

export const defaultQuotaShare: QuotaShare = { weight: 1, mayRevalidate: true };

/** Whether `value` may be a caller's quota weight: a number in (0, 100], from an API key entry or a JWT claim. */
export function isQuotaWeight(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && value <= 100;
}

/** A capability a participant token can carry. */
export type Capability = 'PUBLISH' | 'SUBSCRIBE';
export const capabilities: readonly Capability[] = ['PUBLISH', 'SUBSCRIBE'];

/** What a caller may change on IVS, besides reading; separate from reading and limited to its stage grants. */
export interface WriteRights {
  /** The capabilities the caller may put into participant tokens; empty: it mints nothing. */
  readonly mint: readonly Capability[];
  /** Whether the caller may disconnect participants. */
  readonly disconnect: boolean;
  /** The only userId the caller may put into a token (a JWT caller's `sub`); undefined: any it asks for. */
  readonly fixedUserId: string | undefined;
}

/** Safe default: reads only. */
export const noWriteRights: WriteRights = { mint: [], disconnect: false, fixedUserId: undefined };

/** The capabilities in a claim or key entry, in a fixed order; anything unknown is ignored. */
export function capabilitiesOf(value: unknown): Capability[] {
  const listed = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/\s+/) : [];
  return capabilities.filter((capability) => listed.includes(capability));
}

/** Who is asking and what they may do, as established by src/auth; never carries the credential itself. */
export interface Principal {
  /** For logs and the fair queue: `anonymous`, `jwt:<sub>` or `api-key:<name>`. */
  readonly id: string;
  /** For metrics, bounded: the API key's name, `jwt` or `anonymous`; never a raw JWT subject. */
  readonly label: string;
  readonly stages: StageAccess;
  readonly share: QuotaShare;
  readonly rights: WriteRights;
}

/** Why a stage-access FORBIDDEN differs from IVS's own AccessDenied (which has no reason). */
const stageNotAllowed = 'STAGE_NOT_ALLOWED';

/** True for `*`, for a pattern with one trailing `*`, and for a pattern without `*`. */
export function isStagePattern(pattern: string): boolean {
  const star = pattern.indexOf('*');
  return pattern.length > 0 && (star === -1 || star === pattern.length - 1);
}

/** Access from patterns; patterns that fail `isStagePattern` grant nothing. */
export function createStageAccess(patterns: readonly string[]): StageAccess {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const pattern of patterns.filter(isStagePattern)) {
    if (pattern.endsWith('*')) prefixes.push(pattern.slice(0, -1));
    else exact.add(pattern);
  }
  return {
    allows: (stageArn) => exact.has(stageArn) || prefixes.some((prefix) => stageArn.startsWith(prefix)),
    // JSON, not a join: no pattern can make two different grant sets print the same.
    fingerprint: JSON.stringify([...exact, ...prefixes.map((prefix) => `${prefix}*`)].sort()),
  };
}

/** The caller of AUTH_MODE=none: reads every stage; mints and disconnects only when `writes` allows it. */
export function anonymousPrincipal(writes: boolean): Principal {
  return {
    id: 'anonymous',
    label: 'anonymous',
    stages: createStageAccess(['*']),
    share: defaultQuotaShare,
    rights: writes ? { mint: capabilities, disconnect: true, fixedUserId: undefined } : noWriteRights,
  };
}

/**
 * The one stage check every root field, entity and list goes through, after validation and before
 * the loader: a stage outside the caller's grants fails FORBIDDEN without an IVS call.
 */
export function authorizeStageArn(principal: Pick<Principal, 'stages'>, stageArn: string): string {
  if (principal.stages.allows(stageArn)) return stageArn;
  // The client's words come from the table in src/graphql/errors.ts, by reason; this message is the log's.
  throw new LookupError(ErrorCode.FORBIDDEN, `stage ${stageArn} is outside the caller's grants`, {
    reason: stageNotAllowed,
  });
}

/** `authorizeStageArn` for a participant key. */
export function authorizeParticipantKey(principal: Pick<Principal, 'stages'>, key: ParticipantKey): ParticipantKey {
  authorizeStageArn(principal, key.stageArn);
  return key;
}
