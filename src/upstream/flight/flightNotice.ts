import { ErrorCode, isLookupCode, LookupError, lookupFailureText } from '../../errors.js';
import { checkedLookupDetails, isRecord } from '../redis/untrusted.js';

/**
 * How a flight holder's call ended, as published to the replicas waiting for it. Anyone who can PUBLISH on
 * the Redis (another environment sharing it by prefix, say) can send one, so a received notice is rebuilt
 * from an allow-list: known codes with the gateway's own words, and only details of known shape.
 */
export type FlightNotice =
  { readonly outcome: 'settled' } | { readonly outcome: 'failed'; readonly error: LookupError };

/** How the holder's own call ended: what it publishes. */
export type FlightOutcome = { readonly outcome: 'settled' } | { readonly outcome: 'failed'; readonly error: unknown };

/** The wire text of a notice; a failure carries its code and allow-listed details, never its message or cause. */
export function encodeFlightNotice(notice: FlightOutcome): string {
  if (notice.outcome === 'settled') return JSON.stringify(notice);
  const { error } = notice;
  if (!(error instanceof LookupError))
    return JSON.stringify({ outcome: 'failed', code: ErrorCode.INTERNAL_SERVER_ERROR });
  return JSON.stringify({ outcome: 'failed', code: error.code, details: checkedLookupDetails(error.details) });
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
  const details = checkedLookupDetails(notice.details);
  return { outcome: 'failed', error: new LookupError(notice.code, lookupFailureText[notice.code], details) };
}
