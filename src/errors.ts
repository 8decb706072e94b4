import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';

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
  /** The operation exceeds a query limit (depth, aliases, directives, participants); `extensions.limit` names it (HTTP 400). */
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
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
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** What IVS said about a failed call, as far as it is known. */
export interface IvsErrorDetails {
  errorType?: string;
  httpStatus?: number;
  requestId?: string;
  retryable: boolean;
}

/**
 * A failure of one participant lookup, in domain terms: thrown by the IVS layer and the
 * upstream protection layer, turned into a client-visible error only by `toGraphQLError`.
 */
export class LookupError extends Error {
  override name = 'LookupError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: {
      ivs?: IvsErrorDetails;
      retryAfterSeconds?: number;
      /** Sub-kind of the code, e.g. FORBIDDEN because of the caller's stage grants rather than IVS. */
      reason?: string;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: details.cause });
  }
}

/** A client-visible error with a stable `extensions.code`; keeps the domain error as `originalError`. */
export class GatewayError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}, originalError?: Error) {
    super(message, { extensions: { ...extensions, code }, originalError });
    this.name = 'GatewayError';
  }
}

/** The one place where domain failures become GraphQL errors. */
function toGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  if (error instanceof LookupError) {
    const { ivs, retryAfterSeconds, reason } = error.details;
    return new GatewayError(
      error.code,
      error.message,
      {
        ...(reason && { reason }),
        ...(ivs && { ivs }),
        ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
      },
      error,
    );
  }
  return new GatewayError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error', {}, asError(error));
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
    const candidate =
      original instanceof LookupError
        ? { ...formatted, ...toGraphQLError(original).toJSON(), path: formatted.path, locations: formatted.locations }
        : formatted;
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

function withoutStackTrace(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (!formatted.extensions || !('stacktrace' in formatted.extensions)) return formatted;
  const { stacktrace: _dropped, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
