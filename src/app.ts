import type { FastifyInstance } from 'fastify';
import { connectBackend, type Backend, type BackendOptions } from './backend.js';
import type { Config } from './config.js';
import { createReadiness, type Readiness } from './http/readiness.js';
import type { StageEventSink } from './live/stageEvent.js';
import type { Logger } from './logger.js';
import { createMetrics, type GatewayMetrics } from './observability/metrics.js';
import type { Tracing } from './observability/tracing.js';
import { createGateway } from './server.js';

export interface AppOptions {
  /** Replaces the default AWS credential chain (tests present fixed or failing credentials). */
  credentials?: BackendOptions['credentials'];
  /** Started by the caller before this module loads, since it patches http first; default: none. */
  tracing?: Tracing | null;
  /** Where the events endpoint sends checked IVS stage events; default: none (counted, dropped). */
  stageEvents?: StageEventSink;
}

export interface App {
  /** The gateway's HTTP app, built but not listening: the caller picks host and port. */
  http: FastifyInstance;
  backend: Backend;
  metrics: GatewayMetrics;
  readiness: Readiness;
}

/** Connects the backend and builds the gateway around it: what index.ts runs, and what the tests run. */
export async function createApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<App> {
  const { tracing, stageEvents, credentials } = options;
  const metrics = createMetrics();
  const readiness = createReadiness();
  const backend = await connectBackend(config, logger, {
    ...(credentials && { credentials }),
    observer: metrics.upstreamObservers,
    fleetObserver: metrics.fleetObserver,
  });
  const http = await createGateway({
    config,
    reads: tracing ? tracing.traceReads(backend.reads) : backend.reads,
    moderation: backend.moderation,
    onStageInvalidated: backend.onStageInvalidated,
    logger,
    metrics,
    readiness,
    live: backend.live,
    eventIds: backend.eventIds,
    ...(tracing && { plugins: [tracing.apolloPlugin] }),
    ...(stageEvents && { stageEvents }),
  });
  return { http, backend, metrics, readiness };
}
