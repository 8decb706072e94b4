import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthenticationError, type Authenticator } from '../auth/authenticator.js';
import { ErrorCode } from '../errors.js';
import { refusalText } from '../graphql/errors.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { sendRefusal } from './refusal.js';

/**
 * `onRequest` hook for /graphql: runs before the body is read, so unauthenticated callers cost
 * no parsing. Sets `request.principal`, or answers 401 UNAUTHENTICATED (503 AUTH_UNAVAILABLE when
 * the keys could not be fetched) with a fixed message: why a credential failed goes to the log only.
 * CORS preflights carry no credentials and pass; they never reach GraphQL.
 */
export function createAuthenticationHook(authenticator: Authenticator, metrics: GatewayMetrics) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.method === 'OPTIONS') return;
    try {
      request.principal = await authenticator.authenticate(request.headers);
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      metrics.authRejected(error.failure);
      const unavailable = error.failure === 'unavailable';
      const code = unavailable ? ErrorCode.AUTH_UNAVAILABLE : ErrorCode.UNAUTHENTICATED;
      request.operation.authFailure = error.message;
      if (unavailable) reply.header('retry-after', '5');
      else if (authenticator.challenge) reply.header('www-authenticate', authenticator.challenge);
      const message = unavailable ? refusalText.AUTH_UNAVAILABLE : refusalText.UNAUTHENTICATED.credentials;
      await sendRefusal(request, reply, unavailable ? 503 : 401, code, message);
    }
  };
}
