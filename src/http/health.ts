import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Readiness } from './readiness.js';

/**
 * /healthz: the process answers. /readyz: it should get traffic; 503 once shutdown began.
 * An open breaker does not make the gateway unready: every replica shares the same IVS, so
 * pulling them all would turn degraded answers (fast UPSTREAM_UNAVAILABLE, cached data) into none.
 * The breaker state is reported in the body for operators, and with REDIS_URL the fleet's:
 * Redis up or down, the replicas counted, and whether each quota domain is shared or local. A
 * Redis outage does not make the gateway unready either: it keeps serving on its local share.
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { readiness: Readiness; metrics: GatewayMetrics },
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const fleet = deps.metrics.fleetState();
    const upstream = { breaker: deps.metrics.breakerState(), ...(fleet && { fleet }) };
    if (deps.readiness.shuttingDown) return reply.code(503).send({ status: 'shutting_down', upstream });
    return { status: 'ready', upstream };
  });
}
