import { randomUUID } from 'node:crypto';

// Trace ids, UUIDs and ULIDs fit; anything else (control characters, quotes, kilobytes) would
// flow unchecked into every log line and response of the request.
const acceptable = /^[A-Za-z0-9._:/+=@-]{1,128}$/;

/** The caller's `x-request-id` when it is short and plain, otherwise a fresh UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && acceptable.test(header) ? header : randomUUID();
}
