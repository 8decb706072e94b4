import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { ErrorCode } from '../errors.js';
import { errorResponseBody, refusalText } from '../graphql/errors.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { createSharedSecretCheck } from './sharedSecret.js';

/**
 * GET /metrics in Prometheus text format. Needs no GraphQL credentials; with METRICS_TOKEN it needs
 * `Authorization: Bearer <token>` (compared in constant time).
 */
export function registerMetricsRoute(
  app: FastifyInstance,
  deps: { metrics: GatewayMetrics; token: string | null },
): void {
  const authentic = deps.token === null ? null : createSharedSecretCheck(deps.token);
  app.get('/metrics', async (request, reply) => {
    if (authentic !== null) {
      const presented = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (!authentic(presented)) {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="metrics"')
          .send(errorResponseBody(ErrorCode.UNAUTHENTICATED, refusalText.UNAUTHENTICATED.credentials));
      }
    }
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}

/** A separate app serving only /metrics, for METRICS_PORT: keeps scrapes off the public port. */
export async function createMetricsApp(deps: {
  metrics: GatewayMetrics;
  token: string | null;
  logger: Logger;
}): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    logController: new LogController({ disableRequestLogging: true }),
  });
  registerMetricsRoute(app, deps);
  return app;
}
