import type { FastifyInstance } from 'fastify';
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { createHandler } from 'graphql-sse/lib/use/fastify';
import type { Authenticator } from '../auth/authenticator.js';
import { createAuthenticationHook } from './authentication.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { LiveOperations } from '../live/operation.js';

export interface SseRouteDependencies {
  readonly authenticator: Authenticator;
  readonly metrics: GatewayMetrics;
  readonly operations: LiveOperations;
  readonly subscribe: (args: ExecutionArgs) => Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;
}

/** Where subscriptions are served as server-sent events (graphql-sse, distinct connections mode). */
export const sseRoute = '/graphql/stream';

/**
 * `graphql-sse` for clients behind proxies that block WebSockets: one HTTP response per subscription,
 * authenticated by the same hook as /graphql (401 before anything is parsed). The stream ends when the
 * subscription's feed ends, so the drain ends every stream by ending the feeds.
 */
export function registerSseRoute(app: FastifyInstance, deps: SseRouteDependencies): void {
  const { operations } = deps;
  const handler = createHandler({
    async onSubscribe(request, params) {
      const principal = request.raw.principal;
      if (principal === null) return { data: null, errors: [] };
      const prepared = await operations.prepare(principal, params);
      // Refused: one `next` with the errors (onNext formats them), then the stream completes. graphql-sse
      // takes an object for a result only if it has `data`: without it, the refusal would be a bare 400.
      return (Array.isArray(prepared) ? { data: null, errors: prepared } : prepared) as never;
    },
    subscribe: (args) => deps.subscribe(args),
    onNext: (_context, _request, result) => operations.formatResult(result as ExecutionResult) as ExecutionResult,
  });
  app.route({
    method: ['GET', 'POST'],
    url: sseRoute,
    onRequest: createAuthenticationHook(deps.authenticator, deps.metrics),
    handler: async (request, reply) => {
      reply.hijack();
      await handler(request, reply).catch((error: unknown) => {
        request.log.error({ err: error }, 'subscription stream failed');
        if (!reply.raw.headersSent) reply.raw.writeHead(500);
        reply.raw.end();
      });
    },
  });
}
