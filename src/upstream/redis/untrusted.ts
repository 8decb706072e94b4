import type { ClientDetails, IvsErrorDetails } from '../../errors.js';

// What comes back from Redis may have been written by anyone with access to it (another environment sharing
// it by prefix, say): the details of a failure a client will read are rebuilt from these allow-lists.

// Causes a client may be told about from another replica: its call ran into the fleet's quota, breaker or deadline.
const relayedReasons: ReadonlySet<string> = new Set(['GATEWAY_QUOTA', 'CIRCUIT_OPEN', 'DEADLINE']);
const maxRetryAfterSeconds = 3600;
const ivsErrorType = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
const ivsRequestId = /^[A-Za-z0-9-]{1,64}$/;

// One check per client detail (ClientDetails): a detail added there fails to compile until it is checked here.
const detailChecks: { [Field in keyof ClientDetails]-?: (value: unknown) => ClientDetails[Field] } = {
  retryAfterSeconds: (value) =>
    typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= maxRetryAfterSeconds
      ? value
      : undefined,
  reason: (value) => (typeof value === 'string' && relayedReasons.has(value) ? value : undefined),
  ivs: (value) => checkedIvsDetails(value),
};

/** The details of a failure a client may read, each checked for type and range; everything else is dropped. */
export function checkedLookupDetails(details: unknown): ClientDetails {
  if (!isRecord(details)) return {};
  const checked = Object.entries(detailChecks).map(([field, check]) => [field, check(details[field])] as const);
  return Object.fromEntries(checked.filter(([, value]) => value !== undefined));
}

/** IVS's error type, HTTP status and request id where they have IVS's shape; undefined without `retryable`. */
export function checkedIvsDetails(ivs: unknown): IvsErrorDetails | undefined {
  if (!isRecord(ivs) || typeof ivs.retryable !== 'boolean') return undefined;
  const { errorType, httpStatus, requestId, retryable } = ivs;
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

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
