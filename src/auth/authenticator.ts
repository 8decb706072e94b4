import type { IncomingHttpHeaders } from 'node:http';
import type { AuthConfig } from '../config.js';
import type { Principal } from './principal.js';

/**
 * Why a request was not authenticated. `missing` and `invalid` are the caller's (HTTP 401);
 * `unavailable` is ours: the keys to check with could not be fetched (HTTP 503).
 */
export type AuthFailure = 'missing' | 'invalid' | 'unavailable';

/** A request without acceptable credentials. `detail` is for the log only, never for the client. */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
  constructor(
    readonly failure: AuthFailure,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${failure}: ${detail}`, options);
  }
}

/** Turns request headers into a principal, or rejects with AuthenticationError. */
export interface Authenticator {
  readonly mode: AuthConfig['mode'];
  /** The challenge sent with a 401 (`WWW-Authenticate`), per mode. */
  readonly challenge: string | null;
  authenticate(headers: IncomingHttpHeaders): Promise<Principal>;
}
