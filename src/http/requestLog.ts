import type { FastifyInstance } from 'fastify';
import type { ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';

// Probes and scrapes arrive every few seconds; logging their successes would drown everything else.
const quietRoutes = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One log line per request (Fastify's own per-request lines are off), and the HTTP histogram.
 * For /graphql: operation, caller, duration, upstream cost and error codes; never arguments,
 * variables, participant data or credentials.
 */
export function registerRequestLog(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    metrics.httpRequest({ method: request.method, route, status }, reply.elapsedTime / 1000);
    if (quietRoutes.has(route) && status < 400) return;
    const { operation } = request;
    const stats = operation.lookupStats;
    request.log.info(
      {
        method: request.method,
        route,
        status,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        principal: request.principal?.id,
        ...(route === '/graphql' && {
          operationName: operation.name,
          operationType: operation.type,
          ...(operation.responseCacheHit && { responseCache: 'hit' }),
          ...(stats && {
            upstream: {
              lookups: stats.lookups,
              calls: stats.upstreamCalls,
              cacheHits: stats.cacheHits,
              staleHits: stats.staleHits,
              // Log field names are public: `coalesced` counts the lookups that joined a flight.
              coalesced: stats.joined,
              throttled: stats.throttled,
            },
          }),
        }),
        ...(operation.errorCodes.length > 0 && { errorCodes: [...new Set(operation.errorCodes)] }),
        ...(operation.authFailure && { authFailure: operation.authFailure }),
      },
      route === '/graphql' ? 'graphql request' : 'http request',
    );
  });
}

/** A request refused before Fastify routed it, so the hooks above never saw it. */
export interface Rejection {
  requestId: string;
  /** `unknown` when the HTTP parser gave up before the method. */
  method: string;
  status: number;
  code: ErrorCode;
  /** What refused it: the parser's or Fastify's error code, e.g. HPE_INVALID_METHOD, FST_ERR_BAD_URL. */
  rejectedBy: string | undefined;
}

/** The same log line and histogram entry as every routed request, for requests that never reached a route. */
export function createRejectionLog(logger: Logger, metrics: GatewayMetrics): (rejection: Rejection) => void {
  return ({ requestId, method, status, code, rejectedBy }) => {
    // Refused before any handler ran, and the parser keeps no start time: counted as instant.
    metrics.httpRequest({ method, route: 'unmatched', status }, 0);
    logger.info(
      { reqId: requestId, method, route: 'unmatched', status, errorCodes: [code], rejectedBy },
      'http request',
    );
  };
}
