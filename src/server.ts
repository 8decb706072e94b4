import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginInlineTrace } from '@apollo/server/plugin/inlineTrace';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { createAuthenticator } from './auth/fromConfig.js';
import { createStageAccess, defaultQuotaShare, noWriteRights, type Principal } from './auth/principal.js';
import type { Config } from './config.js';
import { createContextFactory, type GatewayContext } from './context.js';
import { createErrorFormatter } from './graphql/errors.js';
import { createResponseCache } from './graphql/responseCache.js';
import { staleResponsePlugin } from './graphql/staleResponsePlugin.js';
import { loadTrustedDocuments } from './graphql/trustedDocuments.js';
import { createClientErrorReply, createFrameworkErrorReply, registerErrorReplies } from './http/errorReplies.js';
import { registerEventsRoute } from './http/eventsRoute.js';
import { registerGraphqlRoute } from './http/graphqlRoute.js';
import { registerHealthRoutes } from './http/health.js';
import { registerMetricsRoute } from './http/metricsRoute.js';
import type { Readiness } from './http/readiness.js';
import { requestIdFrom } from './http/requestId.js';
import { createRejectionLog, registerRequestLog } from './http/requestLog.js';
import { registerRequestState } from './http/requestState.js';
import { httpServerOptions, limitConnections } from './http/socketLimits.js';
import { createQueryLimitsPlugin } from './limits/queryLimits.js';
import { createLocalEventIds, type SeenEventIds } from './live/seenEventIds.js';
import type { StageEventSink } from './live/stageEvent.js';
import type { Logger } from './logger.js';
import type { GatewayMetrics } from './observability/metrics.js';
import { operationRecordPlugin, type OperationRecord } from './observability/operationRecord.js';
import { cursorCodecFor } from './resolvers/cursor.js';
import { buildSchema } from './schema.js';
import { createLiveSubscribe } from './live/execution.js';
import { registerLiveMetrics } from './live/metrics.js';
import { createLiveOperations } from './live/operation.js';
import { refuseSubscriptionsOverHttp } from './live/refuseOverHttp.js';
import { registerSseRoute } from './http/sseRoute.js';
import type { LiveWatchers } from './live/watchers.js';
import { attachWebSocketTransport } from './live/webSocketTransport.js';
import type { UpstreamReads } from './upstream/index.js';
import type { Moderation } from './tokens/moderation.js';

export interface GatewayDependencies {
  config: Config;
  /** Each IVS read operation behind the upstream protection layer, built once per process by connectBackend. */
  reads: UpstreamReads;
  /** The mutations' service, built by connectBackend. */
  moderation: Moderation;
  /** connectBackend's feed of stage invalidations: whole cached responses about the stage are dropped too. */
  onStageInvalidated?: (listener: (stageArn: string) => void) => void;
  logger: Logger;
  /** The same metrics whose `upstreamObservers` were given to connectBackend. */
  metrics: GatewayMetrics;
  /** Flipped by the shutdown sequence; /readyz reports it. */
  readiness: Readiness;
  /** Subscriptions (src/live/): served on /graphql (graphql-ws) and /graphql/stream (SSE) when given. */
  live?: LiveWatchers;
  /** Extra Apollo plugins, e.g. tracing when it is on. */
  plugins?: ApolloServerPlugin<BaseServerContext>[];
  /** Where the events endpoint (EVENTS_API_KEY) sends checked IVS stage events; default: none (counted, dropped). */
  stageEvents?: StageEventSink;
  /** Event ids already processed (connectBackend's, fleet-wide with Redis); default: this gateway's own memory. */
  eventIds?: SeenEventIds;
}

/** The GraphQL context as Apollo sees it: the resolvers' context plus the request's log record. */
type ServerContext = GatewayContext & { operation: OperationRecord };
type BaseServerContext = Pick<ServerContext, 'operation'>;

// Fail closed: a context built without a principal (no code path does) can read no stage.
const noAccess: Principal = {
  id: 'unauthenticated',
  label: 'unauthenticated',
  stages: createStageAccess([]),
  share: defaultQuotaShare,
  rights: noWriteRights,
};

/**
 * Builds the HTTP app (GraphQL at /graphql, /healthz, /readyz, /metrics unless it has its own port)
 * from injected parts. Never listens by itself: the caller decides where (index.ts in production,
 * free ports in tests).
 */
export async function createGateway(deps: GatewayDependencies): Promise<FastifyInstance> {
  const { config, reads, logger, metrics } = deps;
  // Typed as Fastify's base logger so the app is a plain FastifyInstance, not one generic over pino's.
  const loggerInstance: FastifyBaseLogger = logger;
  const logRejection = createRejectionLog(logger, metrics);
  const app = Fastify({
    loggerInstance,
    bodyLimit: config.http.bodyLimitBytes,
    requestTimeout: config.http.requestTimeoutMs,
    ...httpServerOptions(config.http),
    // The request log below writes one line per request instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    genReqId: (request) => requestIdFrom(request.headers['x-request-id']),
    clientErrorHandler: createClientErrorReply(logRejection),
    frameworkErrors: createFrameworkErrorReply(logRejection),
  });
  const authenticator = await createAuthenticator(config.auth);
  const trustedDocuments =
    config.graphql.trustedDocumentsFile === null
      ? null
      : await loadTrustedDocuments(config.graphql.trustedDocumentsFile);

  const schema = buildSchema();
  const formatError = createErrorFormatter({
    includeStackTrace: config.graphql.stackTraces,
    onMasked: (error) => logger.error({ err: error }, 'unexpected error masked as INTERNAL_SERVER_ERROR'),
  });
  const apollo = new ApolloServer<ServerContext>({
    schema,
    logger,
    // src/lifecycle.ts owns SIGTERM/SIGINT (Apollo's own handler would re-raise the signal mid-shutdown);
    // app.close() drains HTTP, and no plugin here holds anything that needs apollo.stop().
    stopOnTerminationSignals: false,
    introspection: config.graphql.introspection,
    allowBatchedHttpRequests: config.graphql.batching,
    // Bounded, and entries live until evicted: a hash maps to one document forever.
    persistedQueries:
      config.graphql.apqMaxBytes === 0
        ? false
        : { cache: new InMemoryLRUCache({ maxSize: config.graphql.apqMaxBytes }), ttl: null },
    // No "Did you mean ...?" hints where introspection is off: they reveal the schema.
    hideSchemaDetailsFromClientErrors: !config.graphql.introspection,
    // The parser stops here, before a huge document costs memory: GRAPHQL_PARSE_FAILED.
    parseOptions: { maxTokens: config.limits.maxTokens },
    includeStacktraceInErrorResponses: config.graphql.stackTraces,
    formatError,
    plugins: [
      // Federated traces (ftv1) for a gateway that asks; installed explicitly, Apollo would log that it did so itself.
      ApolloServerPluginInlineTrace(),
      createQueryLimitsPlugin(config.limits),
      refuseSubscriptionsOverHttp(),
      operationRecordPlugin(metrics),
      staleResponsePlugin(),
      // Whole answers are cached before Apollo (src/graphql/responseCache.ts): no per-field cache policy to compute.
      ApolloServerPluginCacheControlDisabled(),
      ...(deps.plugins ?? []),
      config.graphql.landingPage
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true })
        : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();
  limitConnections(app.server, config.http);

  app.addHook('preClose', async () => {
    logger.info('closing the listener: no new connections; finishing in-flight requests');
  });
  registerRequestState(app);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Once shutdown began, no keep-alive connection outlives its response: close() need not wait for it.
    if (deps.readiness.shuttingDown) reply.header('connection', 'close');
  });
  registerRequestLog(app, metrics);
  registerErrorReplies(app, config.http.bodyLimitBytes);
  await app.register(cors, {
    origin: config.corsOrigins === '*' ? '*' : [...config.corsOrigins],
    exposedHeaders: ['x-request-id'],
    // An OPTIONS without preflight headers gets an empty 204 instead of the plugin's text/plain 400.
    strictPreflight: false,
    maxAge: 600,
  });

  const createContext = createContextFactory({
    reads,
    servedStages: config.ivsTarget,
    cursors: cursorCodecFor(config.cursorSecret, logger),
    moderation: deps.moderation,
  });
  const responseCache = createResponseCache({ settings: config.responseCache, authMode: config.auth.mode });
  // The cache has no index by stage, and it holds at most GRAPHQL_RESPONSE_CACHE_TTL_SECONDS of answers: drop them all.
  deps.onStageInvalidated?.(() => responseCache.clear());
  registerGraphqlRoute<ServerContext>(app, {
    apollo,
    authenticator,
    metrics,
    trustedDocuments,
    maxBatchOperations: config.graphql.batching ? config.limits.maxBatchOperations : null,
    responseCache,
    context: async (request) => {
      const context = await createContext({
        headers: request.headers,
        principal: request.principal ?? noAccess,
        requestDeadlineMs: config.lookup.requestDeadlineMs,
      });
      request.operation.lookupStats = context.lookupStats;
      return { ...context, operation: request.operation };
    },
  });
  if (deps.live) {
    const { live } = deps;
    const contextFor = (principal: Principal) => createContext({ headers: {}, principal });
    const operations = createLiveOperations({ schema, limits: config.limits, formatError });
    const subscribe = createLiveSubscribe(async (principal) => ({ ...(await contextFor(principal)), live }));
    attachWebSocketTransport(app, {
      authenticator,
      operations,
      subscribe,
      settings: config.live,
      corsOrigins: config.corsOrigins,
      maxPayloadBytes: config.http.bodyLimitBytes,
      shuttingDown: () => deps.readiness.shuttingDown,
      logger,
    });
    registerSseRoute(app, { authenticator, metrics, operations, subscribe });
    // SSE streams end with their feeds; sockets are closed by the WebSocket transport's own hook.
    app.addHook('preClose', async () => live.endFeeds());
    registerLiveMetrics(metrics.registry, live);
  }
  if (config.events) {
    registerEventsRoute(app, {
      settings: config.events,
      servedStages: config.ivsTarget,
      eventIds: deps.eventIds ?? createLocalEventIds(),
      sink: deps.stageEvents ?? deps.live?.stageEvents,
      metrics,
      logger,
    });
  }
  registerHealthRoutes(app, { readiness: deps.readiness });
  if (config.metrics.port === null) registerMetricsRoute(app, { metrics, token: config.metrics.token });
  return app;
}
