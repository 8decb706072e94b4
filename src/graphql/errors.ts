import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import { ErrorCode, LookupError, lookupFailureText, type LookupCode } from '../errors.js';

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

function clientWording(code: ErrorCode): ClientWording {
  return wordingByCode[code as keyof typeof wordingByCode] ?? wordingByCode.INTERNAL_SERVER_ERROR;
}

/** The one place where domain failures become the extensions and words a client sees. */
function toGatewayError(error: LookupError): GatewayError {
  const { ivs, retryAfterSeconds, reason } = error.details;
  const wording = clientWording(error.code);
  const message =
    (reason !== undefined && wordingByReason[reason]) || (wording.showsMessage && error.message) || wording.text;
  const shownIvs =
    ivs && wording.ivsRequestIdOnly
      ? { ...(ivs.requestId !== undefined && { requestId: ivs.requestId }), retryable: ivs.retryable }
      : ivs;
  return new GatewayError(
    error.code,
    message,
    {
      ...(reason && { reason }),
      ...(shownIvs && { ivs: shownIvs }),
      ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
    },
    error,
  );
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
      message: 'Internal server error',
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
