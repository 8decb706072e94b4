import { ErrorCode, LookupError, type IvsErrorDetails } from '../errors.js';

const codeByErrorType: Record<string, ErrorCode> = {
  ValidationException: ErrorCode.BAD_USER_INPUT,
  ResourceNotFoundException: ErrorCode.NOT_FOUND,
  AccessDeniedException: ErrorCode.FORBIDDEN,
  ThrottlingException: ErrorCode.THROTTLED,
  TooManyRequestsException: ErrorCode.THROTTLED,
  ServiceQuotaExceededException: ErrorCode.THROTTLED,
  InternalServerException: ErrorCode.UPSTREAM_UNAVAILABLE,
  ServiceUnavailableException: ErrorCode.UPSTREAM_UNAVAILABLE,
  // The gateway's own AWS identity is broken: an operator problem, not the caller's.
  PendingVerification: ErrorCode.UPSTREAM_AUTH_FAILED,
  UnrecognizedClientException: ErrorCode.UPSTREAM_AUTH_FAILED,
  InvalidSignatureException: ErrorCode.UPSTREAM_AUTH_FAILED,
  ExpiredTokenException: ErrorCode.UPSTREAM_AUTH_FAILED,
  IncompleteSignature: ErrorCode.UPSTREAM_AUTH_FAILED,
  MissingAuthenticationTokenException: ErrorCode.UPSTREAM_AUTH_FAILED,
};

// Node socket errors: the request never got an answer from IVS.
const networkErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

const retryableCodes = new Set<ErrorCode>([
  ErrorCode.THROTTLED,
  ErrorCode.UPSTREAM_UNAVAILABLE,
  ErrorCode.UPSTREAM_TIMEOUT,
]);

/** The SDK's error surface that we read; see @smithy/smithy-client ServiceException. */
export interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  exceptionMessage?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

/**
 * Turns whatever the SDK threw into a LookupError with a stable code. Reads the error class
 * (`name`, `$metadata`), never the message text; the IVS text comes from `exceptionMessage`.
 */
export function classifyIvsFailure(error: unknown): LookupError {
  const sdk = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = sdk.name ?? 'Error';
  const httpStatus = sdk.$metadata?.httpStatusCode;

  if (name === 'CredentialsProviderError') {
    return failure(ErrorCode.UPSTREAM_AUTH_FAILED, error, { errorType: name });
  }
  // Checked before the name: the SDK labels socket errors such as ECONNRESET "TimeoutError".
  if (sdk.code !== undefined && networkErrorCodes.has(sdk.code)) {
    return failure(ErrorCode.UPSTREAM_UNAVAILABLE, error, { errorType: sdk.code });
  }
  // ETIMEDOUT: the SDK's own attempt timeout (IVS_ATTEMPT_TIMEOUT_MS) or the OS giving up on a connect.
  if (name === 'TimeoutError' || name === 'AbortError' || sdk.code === 'ETIMEDOUT') {
    return failure(ErrorCode.UPSTREAM_TIMEOUT, error, { errorType: name });
  }
  if (httpStatus === undefined) {
    return failure(ErrorCode.INTERNAL_SERVER_ERROR, error, { errorType: name });
  }
  const code = codeByErrorType[name] ?? codeForStatus(httpStatus);
  return failure(code, error, {
    errorType: name,
    httpStatus,
    ...(sdk.$metadata?.requestId && { requestId: sdk.$metadata.requestId }),
    ivsMessage: readIvsMessage(sdk),
  });
}

function codeForStatus(status: number): ErrorCode {
  if (status === 429) return ErrorCode.THROTTLED;
  if (status >= 500) return ErrorCode.UPSTREAM_UNAVAILABLE;
  return ErrorCode.INTERNAL_SERVER_ERROR;
}

/** IVS's own text of an SDK error: restJson1 puts it in `exceptionMessage`; `message` is then "UnknownError". */
export function readIvsMessage(sdk: SdkErrorShape): string | undefined {
  const text = sdk.exceptionMessage ?? sdk.message;
  return text && text !== 'UnknownError' ? text : undefined;
}

function failure(
  code: ErrorCode,
  cause: unknown,
  known: Omit<IvsErrorDetails, 'retryable'> & { ivsMessage?: string | undefined },
): LookupError {
  const { ivsMessage, ...ivs } = known;
  // IVS's own text when it sent one; which codes a client may read it for is src/graphql/errors.ts's call.
  const message = ivsMessage ?? `IVS call failed: ${ivs.errorType}${ivs.httpStatus ? ` (HTTP ${ivs.httpStatus})` : ''}`;
  return new LookupError(code, message, {
    ivs: { ...ivs, retryable: retryableCodes.has(code) },
    ...(code === ErrorCode.THROTTLED && { retryAfterSeconds: 1 }),
    cause,
  });
}
