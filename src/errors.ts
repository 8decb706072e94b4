// Domain errors only: no GraphQL here, so src/ivs/ and src/upstream/ can throw them. What a client
// reads is decided in src/graphql/errors.ts.

/** Every `extensions.code` this gateway produces itself. The README's error table lists them. */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  FORBIDDEN: 'FORBIDDEN',
  THROTTLED: 'THROTTLED',
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  UPSTREAM_TIMEOUT: 'UPSTREAM_TIMEOUT',
  UPSTREAM_AUTH_FAILED: 'UPSTREAM_AUTH_FAILED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  /** No or invalid caller credentials (HTTP 401). */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The caller's credentials could not be checked right now, e.g. the JWKS endpoint is down (HTTP 503). */
  AUTH_UNAVAILABLE: 'AUTH_UNAVAILABLE',
  /** The operation exceeds a query limit (depth, aliases, directives, or a per-request budget); `extensions.limit` names it (HTTP 400). */
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  /** A batched HTTP request carries more than GRAPHQL_BATCH_MAX_OPERATIONS operations (HTTP 400); nothing ran. */
  BATCH_TOO_LARGE: 'BATCH_TOO_LARGE',
  /** The request body exceeds HTTP_BODY_LIMIT_BYTES (HTTP 413). */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The request body is neither JSON nor a type Apollo accepts (HTTP 415). */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /** No such HTTP route (HTTP 404); GraphQL lives at /graphql. */
  ROUTE_NOT_FOUND: 'ROUTE_NOT_FOUND',
  /** Malformed HTTP request or body, e.g. invalid JSON (HTTP 400); the same string as Apollo Server's own. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The client did not send the whole request within HTTP_REQUEST_TIMEOUT_MS (HTTP 408). */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  /** GRAPHQL_TRUSTED_DOCUMENTS_FILE is set and the operation is not in it (HTTP 400); nothing was parsed. */
  PERSISTED_QUERY_NOT_TRUSTED: 'PERSISTED_QUERY_NOT_TRUSTED',
  /** A subscription over LIVE_MAX_SUBSCRIPTIONS_PER_CALLER or LIVE_MAX_SUBSCRIPTIONS; `extensions.limit` names which. */
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes raised only at the HTTP or GraphQL request level, never by a lookup: src/graphql/errors.ts words each. */
export type RequestLevelCode =
  | 'UNAUTHENTICATED'
  | 'AUTH_UNAVAILABLE'
  | 'QUERY_TOO_COMPLEX'
  | 'BATCH_TOO_LARGE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'ROUTE_NOT_FOUND'
  | 'BAD_REQUEST'
  | 'REQUEST_TIMEOUT'
  | 'PERSISTED_QUERY_NOT_TRUSTED'
  | 'TOO_MANY_SUBSCRIPTIONS';
/** The codes a lookup can fail with. */
export type LookupCode = Exclude<ErrorCode, RequestLevelCode>;

/**
 * The gateway's own words for each lookup failure: what a client reads when the failure's message is
 * not shown (src/graphql/errors.ts) or not trusted (a failure relayed by another replica through Redis).
 */
export const lookupFailureText: Record<LookupCode, string> = {
  BAD_USER_INPUT: 'IVS rejected the request as invalid',
  NOT_FOUND: 'IVS has no such stage, session or participant',
  FORBIDDEN: "The gateway's AWS identity is not allowed to read this stage",
  THROTTLED: "IVS is throttling the gateway's calls; retry later",
  UPSTREAM_UNAVAILABLE: 'IVS could not be reached or failed to answer',
  UPSTREAM_TIMEOUT: 'IVS did not answer in time',
  UPSTREAM_AUTH_FAILED: "IVS rejected the gateway's AWS credentials",
  INTERNAL_SERVER_ERROR: 'Internal server error',
};

/** Whether `code` is a code a lookup can fail with (for text from outside this process). */
export function isLookupCode(code: unknown): code is LookupCode {
  return typeof code === 'string' && Object.hasOwn(lookupFailureText, code);
}

/** What IVS said about a failed call, as far as it is known. */
export interface IvsErrorDetails {
  errorType?: string;
  httpStatus?: number;
  requestId?: string;
  retryable: boolean;
}

/**
 * The details of a lookup failure a client reads, as `extensions` beside the code (src/graphql/errors.ts);
 * the only ones a failure relayed by another replica keeps (src/redis/untrusted.ts checks each).
 */
export interface ClientDetails {
  ivs?: IvsErrorDetails;
  retryAfterSeconds?: number;
  /** Sub-kind of the code, e.g. FORBIDDEN because of the caller's stage grants rather than IVS. */
  reason?: string;
}

// Exactly the keys of ClientDetails (the type refuses a missing or extra one): the list code picks them by.
const clientDetailKeys: Record<keyof ClientDetails, true> = { ivs: true, retryAfterSeconds: true, reason: true };
/** The fields of ClientDetails, for picking them out of an object that may hold more (such as `cause`). */
export const clientDetailFields = Object.keys(clientDetailKeys) as (keyof ClientDetails)[];

/** The per-request budget of each upstream quantity; the names are what `extensions.limit` reports. */
export interface SpendLimits {
  /** Participant lookups (GetParticipant): distinct keys plus roster detail lookups. */
  readonly participants: number;
  /** List calls (ListStageSessions, ListParticipants, ListParticipantEvents pages). */
  readonly listCalls: number;
  /** Stage and session lookups (GetStage, GetStageSession): distinct keys plus lookups counted per object. */
  readonly stageLookups: number;
}

export type SpendLimit = keyof SpendLimits;

/**
 * A failure of one participant lookup, in domain terms: thrown by validation, authorization, the IVS
 * layer and the upstream protection layer. `message` is for operators; src/graphql/errors.ts shows it
 * to clients only for codes whose text describes the caller's request (never the gateway's identity).
 */
export class LookupError extends Error {
  override name = 'LookupError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ClientDetails & { cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
  }
}
