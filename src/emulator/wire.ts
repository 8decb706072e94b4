import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Errors the emulator knows by name. Errors modelled by IVS carry `exceptionMessage`; errors raised by
 * the AWS front door (throttling, credentials, routing) carry `message`, as the real service does.
 */
const knownErrors = {
  ValidationException: { status: 400, body: 'exceptionMessage', message: 'Invalid request' },
  AccessDeniedException: {
    status: 403,
    body: 'exceptionMessage',
    message: 'User is not authorized to perform: ivs:GetParticipant',
  },
  PendingVerification: {
    status: 403,
    body: 'exceptionMessage',
    message:
      'Your account is pending verification. Access to this API will be available once verification is complete.',
  },
  ResourceNotFoundException: { status: 404, body: 'exceptionMessage', message: 'Resource not found' },
  ConflictException: { status: 409, body: 'exceptionMessage', message: 'Conflict' },
  ServiceQuotaExceededException: { status: 402, body: 'exceptionMessage', message: 'Service quota exceeded' },
  InternalServerException: { status: 500, body: 'exceptionMessage', message: 'Internal server error' },
  ServiceUnavailableException: { status: 503, body: 'message', message: 'Service unavailable' },
  ThrottlingException: { status: 429, body: 'message', message: 'Rate exceeded' },
  UnrecognizedClientException: {
    status: 403,
    body: 'message',
    message: 'The security token included in the request is invalid.',
  },
  InvalidSignatureException: {
    status: 403,
    body: 'message',
    message: 'The request signature we calculated does not match the signature you provided.',
  },
  ExpiredTokenException: {
    status: 403,
    body: 'message',
    message: 'The security token included in the request is expired',
  },
  UnknownOperationException: { status: 404, body: 'message', message: 'Unknown operation' },
} as const satisfies Record<string, { status: number; body: 'exceptionMessage' | 'message'; message: string }>;

export type KnownErrorType = keyof typeof knownErrors;

export interface WireError {
  readonly errorType: string;
  readonly status: number;
  readonly message?: string | undefined;
}

/** Builds a WireError for a known name with its usual status and message. */
export function knownError(errorType: KnownErrorType, message?: string): WireError {
  const known = knownErrors[errorType];
  return { errorType, status: known.status, message: message ?? known.message };
}

function isKnownErrorType(errorType: string): errorType is KnownErrorType {
  return Object.hasOwn(knownErrors, errorType);
}

/** Writes a restJson1 error: status, x-amzn-ErrorType, x-amzn-RequestId and the JSON message. */
export function sendError(res: ServerResponse, error: WireError): void {
  const field = isKnownErrorType(error.errorType) ? knownErrors[error.errorType].body : 'exceptionMessage';
  const message =
    error.message ?? (isKnownErrorType(error.errorType) ? knownErrors[error.errorType].message : error.errorType);
  sendJson(res, error.status, { [field]: message }, { 'x-amzn-ErrorType': error.errorType });
}

/** Writes any JSON response with a fresh request id (admin endpoints use it too). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  // The client may have gone away while the emulator was delaying its answer.
  if (res.destroyed) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(payload),
    'x-amzn-RequestId': randomUUID(),
    ...headers,
  });
  res.end(payload);
}

/** Reads a whole request body as UTF-8; rejects if the client aborts. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
