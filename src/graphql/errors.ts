import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import {
  clientDetailFields,
  ErrorCode,
  LookupError,
  lookupFailureText,
  type ClientDetails,
  type LookupCode,
  type RequestLevelCode,
  type SpendLimit,
} from '../errors.js';

/** A client-visible error with a stable `extensions.code`; keeps the domain error as `originalError`. */
export class GatewayError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}, originalError?: Error) {
    super(message, { extensions: { ...extensions, code }, originalError });
    this.name = 'GatewayError';
  }
}

interface ClientWording {
  /** What the client reads, unless `showsMessage` lets the error's own message through. */
  text: string;
  /** The LookupError's message describes only the caller's request (validation, IVS's answer about it). */
  showsMessage: boolean;
  /** The IVS error type would tell every caller the gateway's credential state: show only the request id. */
  ivsRequestIdOnly?: true;
}

/**
 * Everything a client reads about a failed lookup, keyed by code. IVS's own text is shown where it
 * is about the caller's request; for AccessDenied and credential failures it names the gateway's
 * IAM role or account, so those get fixed words (src/ivs/send.ts logs IVS's text).
 */
const wordingByCode: Record<LookupCode, ClientWording> = {
  BAD_USER_INPUT: { text: lookupFailureText.BAD_USER_INPUT, showsMessage: true },
  NOT_FOUND: { text: lookupFailureText.NOT_FOUND, showsMessage: true },
  FORBIDDEN: { text: lookupFailureText.FORBIDDEN, showsMessage: false, ivsRequestIdOnly: true },
  THROTTLED: { text: lookupFailureText.THROTTLED, showsMessage: true },
  UPSTREAM_UNAVAILABLE: { text: lookupFailureText.UPSTREAM_UNAVAILABLE, showsMessage: true },
  UPSTREAM_TIMEOUT: { text: lookupFailureText.UPSTREAM_TIMEOUT, showsMessage: false },
  UPSTREAM_AUTH_FAILED: { text: lookupFailureText.UPSTREAM_AUTH_FAILED, showsMessage: false, ivsRequestIdOnly: true },
  INTERNAL_SERVER_ERROR: { text: lookupFailureText.INTERNAL_SERVER_ERROR, showsMessage: false },
};

/** Where a code has several causes, `extensions.reason` names the cause and these words replace the code's. */
const wordingByReason: Record<string, string> = {
  // FORBIDDEN
  STAGE_NOT_ALLOWED: 'Your credentials do not grant access to this stage',
  MINT_NOT_ALLOWED: 'Your credentials do not allow minting participant tokens',
  CAPABILITY_NOT_ALLOWED: 'Your credentials do not allow granting a capability this token asks for',
  USER_ID_NOT_ALLOWED: 'Your credentials only allow participant tokens for your own user ID',
  DISCONNECT_NOT_ALLOWED: 'Your credentials do not allow disconnecting participants',
  // THROTTLED
  GATEWAY_QUOTA: "The gateway's IVS call quota is used up for now; retry after retryAfterSeconds",
  CALLER_QUEUE_FULL: 'Too many of your lookups are already waiting for IVS; retry after retryAfterSeconds',
  // UPSTREAM_UNAVAILABLE
  CIRCUIT_OPEN: 'IVS has been failing, so the gateway has paused calls to it; retry after retryAfterSeconds',
};

/**
 * What a client reads about a refusal made outside a lookup (HTTP, credentials, limits, subscriptions), keyed
 * by code and, where a code has several causes, by cause; words that name the request are functions of it.
 */
export const refusalText = {
  UNAUTHENTICATED: {
    credentials: 'Unauthenticated',
    eventsApiKey: (header: string) => `Send the events API key in ${header}`,
  },
  AUTH_UNAVAILABLE: 'Credentials cannot be checked right now; retry later',
  ROUTE_NOT_FOUND: 'Not found: GraphQL is served at /graphql',
  REQUEST_TIMEOUT: 'Request not received in time',
  PAYLOAD_TOO_LARGE: (bodyLimitBytes: number) => `Request body is larger than ${bodyLimitBytes} bytes`,
  UNSUPPORTED_MEDIA_TYPE: 'Send GraphQL requests as application/json',
  BAD_REQUEST: {
    malformedHttp: 'Malformed HTTP request',
    invalidJson: 'Request body is not valid JSON',
    other: 'Bad request',
    noQueryText: 'The operation has no query text',
    variablesNotObject: '`variables` must be an object',
    noSingleOperation: 'The document names no single operation to run',
    queryOverLive: 'Only subscriptions are served here; send queries to /graphql over HTTP',
    subscriptionOverHttp:
      'Subscriptions are served over WebSocket (graphql-transport-ws) on /graphql and as server-sent events on /graphql/stream',
    notEventBridgeEvent: (problem: string) => `Not an EventBridge event: ${problem}`,
  },
  QUERY_TOO_COMPLEX: {
    operation: (spend: SpendText) => `This operation can ask for ${spendText(spend)}`,
    batch: (spend: SpendText) => `This batch can ask for ${spendText(spend)}`,
    subscriptionUpdate: (spend: SpendText) => `Each update of this subscription can ask for ${spendText(spend)}`,
  },
  BATCH_TOO_LARGE: (max: number) =>
    `A batch may carry at most ${max} operations (GRAPHQL_BATCH_MAX_OPERATIONS); send the rest in another request`,
  PERSISTED_QUERY_NOT_TRUSTED: 'This server accepts only operations from its trusted-documents manifest',
  TOO_MANY_SUBSCRIPTIONS: {
    process: 'This gateway process has as many open subscriptions as it allows',
    caller: (max: number) => `At most ${max} open subscriptions are allowed per caller`,
  },
  INTERNAL_SERVER_ERROR: lookupFailureText.INTERNAL_SERVER_ERROR,
} as const satisfies Record<RequestLevelCode, unknown> & Partial<Record<ErrorCode, unknown>>;

/** A per-request spend over its limit, as the QUERY_TOO_COMPLEX words name it. */
export interface SpendText {
  readonly limit: SpendLimit;
  readonly total: number;
  readonly max: number;
}

const spendWording: Record<SpendLimit, string> = {
  participants: 'distinct participants',
  listCalls: 'list calls (pages of rosters, sessions or events)',
  stageLookups: 'stage and session lookups (GetStage, GetStageSession)',
};

function spendText({ limit, total, max }: SpendText): string {
  return `${total} ${spendWording[limit]}; at most ${max} are allowed per request.`;
}

function clientWording(code: ErrorCode): ClientWording {
  return wordingByCode[code as keyof typeof wordingByCode] ?? wordingByCode.INTERNAL_SERVER_ERROR;
}

/** The one place where domain failures become the extensions and words a client sees. */
function toGatewayError(error: LookupError): GatewayError {
  const { ivs, reason } = error.details;
  const wording = clientWording(error.code);
  const message =
    (reason !== undefined && wordingByReason[reason]) || (wording.showsMessage && error.message) || wording.text;
  const shownIvs =
    ivs && wording.ivsRequestIdOnly
      ? { ...(ivs.requestId !== undefined && { requestId: ivs.requestId }), retryable: ivs.retryable }
      : ivs;
  return new GatewayError(error.code, message, presentDetails({ ...error.details, ivs: shownIvs }), error);
}

// Only the client details (never `cause`, nor anything else a raising layer attached), and only those set
// (an empty reason is none): an absent detail is absent, not null, in the JSON.
function presentDetails(details: ClientDetails): Record<string, unknown> {
  const set = clientDetailFields.map((field) => [field, details[field]] as const);
  return Object.fromEntries(set.filter(([, value]) => value !== undefined && value !== ''));
}

/** A GraphQL-shaped body for replies that never reach Apollo (401, 404, 413, 415, ...). */
export function errorResponseBody(code: ErrorCode, message: string): { errors: GraphQLFormattedError[] } {
  return { errors: [new GatewayError(code, message).toJSON()] };
}

const knownCodes = new Set<string>([...Object.values(ErrorCode), ...Object.values(ApolloServerErrorCode)]);

/**
 * Apollo `formatError`: errors with a known code pass through (without stack traces outside
 * development); anything else is masked so internals never reach a client. Never throws.
 */
export function createErrorFormatter(options: { includeStackTrace: boolean; onMasked: (error: unknown) => void }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const candidate = original instanceof LookupError ? fromLookupError(formatted, original) : formatted;
    const code = candidate.extensions?.code;
    if (typeof code === 'string' && knownCodes.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      return options.includeStackTrace ? candidate : withoutStackTrace(candidate);
    }
    options.onMasked(original);
    return {
      message: refusalText.INTERNAL_SERVER_ERROR,
      ...(formatted.locations && { locations: formatted.locations }),
      ...(formatted.path && { path: formatted.path }),
      extensions: {
        code: ErrorCode.INTERNAL_SERVER_ERROR,
        ...(options.includeStackTrace && { stacktrace: formatted.extensions?.stacktrace }),
      },
    };
  };
}

// Apollo's formatting of the resolver error keeps the path, locations and stack trace; the gateway decides the rest.
function fromLookupError(formatted: GraphQLFormattedError, error: LookupError): GraphQLFormattedError {
  const { message, extensions } = toGatewayError(error).toJSON();
  return { ...formatted, message, extensions: { ...formatted.extensions, ...extensions } };
}

function withoutStackTrace(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (!formatted.extensions || !('stacktrace' in formatted.extensions)) return formatted;
  const { stacktrace: _dropped, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}
