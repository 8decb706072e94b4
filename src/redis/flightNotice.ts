import { ErrorCode, isLookupCode, LookupError, lookupFailureText, type IvsErrorDetails } from '../errors.js';

/**
 * How a flight holder's call ended, as published to the replicas waiting for it. Anyone who can PUBLISH on
 * the Redis (another environment sharing it by prefix, say) can send one, so a received notice is rebuilt
 * from an allow-list: known codes with the gateway's own words, and only details of known shape.
 */
export type FlightNotice =
  { readonly outcome: 'settled' } | { readonly outcome: 'failed'; readonly error: LookupError };

// Causes a waiter may be told about: the holder's call ran into the fleet's quota, breaker or deadline.
const relayedReasons: ReadonlySet<string> = new Set(['GATEWAY_QUOTA', 'CIRCUIT_OPEN', 'DEADLINE']);
const maxRetryAfterSeconds = 3600;
const ivsErrorType = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
const ivsRequestId = /^[A-Za-z0-9-]{1,64}$/;

/** The wire text of a notice; a failure carries its code and allow-listed details, never its message or cause. */
export function encodeFlightNotice(
  notice: { readonly outcome: 'settled' } | { readonly outcome: 'failed'; readonly error: unknown },
): string {
  if (notice.outcome === 'settled') return JSON.stringify(notice);
  const { error } = notice;
  if (!(error instanceof LookupError))
    return JSON.stringify({ outcome: 'failed', code: ErrorCode.INTERNAL_SERVER_ERROR });
  return JSON.stringify({ outcome: 'failed', code: error.code, details: relayedDetails(error.details) });
}

/**
 * The notice a message names, rebuilt from what is allowed: a failure with an unknown code becomes a generic
 * upstream failure. Undefined for a message that is not a notice at all (ignored, like any foreign message).
 */
export function parseFlightNotice(message: string): FlightNotice | undefined {
  let notice: unknown;
  try {
    notice = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (!isRecord(notice)) return undefined;
  if (notice.outcome === 'settled') return { outcome: 'settled' };
  if (notice.outcome !== 'failed') return undefined;
  if (!isLookupCode(notice.code)) {
    return {
      outcome: 'failed',
      error: new LookupError(ErrorCode.UPSTREAM_UNAVAILABLE, lookupFailureText.UPSTREAM_UNAVAILABLE),
    };
  }
  const details = relayedDetails(isRecord(notice.details) ? notice.details : {});
  return { outcome: 'failed', error: new LookupError(notice.code, lookupFailureText[notice.code], details) };
}

/** The details a waiter may show, each checked for type and range; everything else is dropped. */
function relayedDetails(details: Record<string, unknown>): LookupError['details'] {
  const { retryAfterSeconds, reason, ivs } = details;
  return {
    ...(typeof retryAfterSeconds === 'number' &&
      Number.isInteger(retryAfterSeconds) &&
      retryAfterSeconds >= 0 &&
      retryAfterSeconds <= maxRetryAfterSeconds && { retryAfterSeconds }),
    ...(typeof reason === 'string' && relayedReasons.has(reason) && { reason }),
    ...(isRecord(ivs) && typeof ivs.retryable === 'boolean' && { ivs: relayedIvsDetails(ivs, ivs.retryable) }),
  };
}

function relayedIvsDetails(ivs: Record<string, unknown>, retryable: boolean): IvsErrorDetails {
  const { errorType, httpStatus, requestId } = ivs;
  return {
    ...(typeof errorType === 'string' && ivsErrorType.test(errorType) && { errorType }),
    ...(typeof httpStatus === 'number' &&
      Number.isInteger(httpStatus) &&
      httpStatus >= 100 &&
      httpStatus <= 599 && { httpStatus }),
    ...(typeof requestId === 'string' && ivsRequestId.test(requestId) && { requestId }),
    retryable,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
