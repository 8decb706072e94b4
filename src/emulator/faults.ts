import type { EmulatedOperation } from './validation.js';
import { knownError, type KnownErrorType } from './wire.js';

/** What an injected fault does to a call. */
export type Fault =
  | {
      readonly kind: 'error';
      readonly errorType: string;
      readonly status: number;
      readonly message?: string | undefined;
    }
  /** Never answers; the connection stays open until the client gives up or the emulator closes. */
  | { readonly kind: 'hang' }
  /** Destroys the socket with a TCP reset, so the client sees a network error. */
  | { readonly kind: 'reset' };

export interface FaultOptions {
  /** How many matching calls fail; default 1, `Infinity` until cleared. */
  readonly times?: number;
  /** Only calls naming this participantId match (GetParticipant, ListParticipantEvents); default every call. */
  readonly participantId?: string;
  /** Only calls of this operation match; default every operation. */
  readonly operation?: EmulatedOperation;
}

const errorFault = (errorType: KnownErrorType, message?: string): Fault => ({
  kind: 'error',
  ...knownError(errorType, message),
});

/** Fault builders by name, with the status and message the real service uses. */
export const faults = {
  /** Any error, e.g. `faults.error('BadGateway', 502)`. */
  error: (errorType: string, status: number, message?: string): Fault => ({
    kind: 'error',
    errorType,
    status,
    message,
  }),
  validation: (message?: string) => errorFault('ValidationException', message),
  accessDenied: (message?: string) => errorFault('AccessDeniedException', message),
  pendingVerification: (message?: string) => errorFault('PendingVerification', message),
  notFound: (message?: string) => errorFault('ResourceNotFoundException', message),
  conflict: (message?: string) => errorFault('ConflictException', message),
  serviceQuotaExceeded: (message?: string) => errorFault('ServiceQuotaExceededException', message),
  internal: (message?: string) => errorFault('InternalServerException', message),
  serviceUnavailable: (message?: string) => errorFault('ServiceUnavailableException', message),
  throttling: (message?: string) => errorFault('ThrottlingException', message),
  unrecognizedClient: (message?: string) => errorFault('UnrecognizedClientException', message),
  invalidSignature: (message?: string) => errorFault('InvalidSignatureException', message),
  expiredToken: (message?: string) => errorFault('ExpiredTokenException', message),
  hang: (): Fault => ({ kind: 'hang' }),
  reset: (): Fault => ({ kind: 'reset' }),
} as const;

export interface FaultQueue {
  inject(fault: Fault, options?: FaultOptions): void;
  /** Takes the oldest fault matching this call and uses up one of its `times`. */
  take(operation: EmulatedOperation, participantId: string | undefined): Fault | undefined;
  clear(): void;
}

interface PendingFault {
  readonly fault: Fault;
  readonly participantId: string | undefined;
  readonly operation: EmulatedOperation | undefined;
  remaining: number;
}

/** Faults in injection order; the first matching one wins. */
export function createFaultQueue(): FaultQueue {
  let pending: PendingFault[] = [];
  return {
    inject(fault, options = {}) {
      const times = options.times ?? 1;
      if (!(times >= 1) || (!Number.isInteger(times) && times !== Infinity)) {
        throw new RangeError(`Fault times must be a positive integer or Infinity, got ${times}`);
      }
      pending.push({ fault, participantId: options.participantId, operation: options.operation, remaining: times });
    },
    take(operation, participantId) {
      const match = pending.find(
        (p) =>
          (p.operation === undefined || p.operation === operation) &&
          (p.participantId === undefined || p.participantId === participantId),
      );
      if (match === undefined) return undefined;
      match.remaining -= 1;
      if (match.remaining <= 0) pending = pending.filter((p) => p !== match);
      return match.fault;
    },
    clear() {
      pending = [];
    },
  };
}
