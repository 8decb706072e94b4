import type { FastifyInstance } from 'fastify';
import type { Readiness } from './readiness.js';

/**
 * /healthz: the process answers. /readyz: it should get traffic (200 `ready`), or not (503
 * `shutting_down`), and nothing more: a probe needs no credentials, so its body names no quota domain,
 * account or breaker. Those go to the log and to /metrics (`ivs_breaker_state`, `gateway_redis_up`, …).
 * An open breaker does not make the gateway unready: every replica shares the same IVS, so pulling them
 * all would turn degraded answers (fast UPSTREAM_UNAVAILABLE, cached data) into none; nor does a Redis
 * outage: the replica keeps serving on its local share.
 */
export function registerHealthRoutes(app: FastifyInstance, deps: { readiness: Readiness }): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (deps.readiness.shuttingDown) return reply.code(503).send({ status: 'shutting_down' });
    return { status: 'ready' };
  });
}
