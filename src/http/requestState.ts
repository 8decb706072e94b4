import type { FastifyInstance } from 'fastify';
import type { Principal } from '../auth/principal.js';
import { createOperationRecord, type OperationRecord } from '../observability/operationRecord.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking; set by the authentication hook on /graphql, null on other routes. */
    principal: Principal | null;
    /** Filled in while the request runs; read once by the request log line. */
    operation: OperationRecord;
  }
}

/** Gives every request its own principal slot and operation record before any other hook runs. */
export function registerRequestState(app: FastifyInstance): void {
  app.decorateRequest('principal', null);
  // Fastify's pattern for per-request objects: declare the slot empty, fill it in the first hook.
  app.decorateRequest('operation', null as unknown as OperationRecord);
  app.addHook('onRequest', async (request) => {
    request.operation = createOperationRecord();
  });
}
