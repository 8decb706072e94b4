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
import { createStageAccess, defaultQuotaShare, type Principal } from './auth/principal.js';
import type { Config } from './config.js';
import { createContextFactory, type GatewayContext } from './context.js';
import { createErrorFormatter } from './graphql/errors.js';
import { createResponseCache } from './graphql/responseCache.js';
import { staleResponsePlugin } from './graphql/staleResponsePlugin.js';
import { loadTrustedDocuments } from './graphql/trustedDocuments.js';
import { createClientErrorReply, createFrameworkErrorReply, registerErrorReplies } from './http/errorReplies.js';
import { registerGraphqlRoute } from './http/graphqlRoute.js';
import { registerHealthRoutes } from './http/health.js';
import { registerMetricsRoute } from './http/metricsRoute.js';
import type { Readiness } from './http/readiness.js';
import { requestIdFrom } from './http/requestId.js';
import { createRejectionLog, registerRequestLog } from './http/requestLog.js';
import { registerRequestState } from './http/requestState.js';
import { httpServerOptions, limitConnections } from './http/socketLimits.js';
import { createQueryLimitsPlugin } from './limits/queryLimits.js';
import type { Logger } from './logger.js';
import type { GatewayMetrics } from './observability/metrics.js';
import { operationRecordPlugin, type OperationRecord } from './observability/operationRecord.js';
import { buildSchema } from './schema.js';
import type { UpstreamReads } from './upstream/fromConfig.js';

export interface GatewayDependencies {
  config: Config;
  /** Each IVS read operation behind the upstream protection layer, built once per process by connectBackend. */
  reads: UpstreamReads;
  logger: Logger;
  /** The same metrics whose `upstreamObserver` was given to connectBackend. */
  metrics: GatewayMetrics;
  /** Flipped by the shutdown sequence; /readyz reports it. */
  readiness: Readiness;
  /** Extra Apollo plugins, e.g. tracing when it is on. */
  plugins?: ApolloServerPlugin<BaseServerContext>[];
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
};

/**
 * Builds the HTTP app (GraphQL at /graphql, /healthz, /readyz, /metrics unless it has its own port)
 * from injected parts. Never listens by itself: the caller decides where (index.ts in production,
 * free ports in tests).
 */
export async function createGateway(deps: GatewayDependencies): Promise<FastifyInstance> {
  const { config, reads, logger, metrics } = deps;
  const development = config.env === 'development';
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

  const apollo = new ApolloServer<ServerContext>({
    schema: buildSchema(),
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
    // No "Did you mean ...?" hints: they reveal the schema even with introspection off.
    hideSchemaDetailsFromClientErrors: !development,
    // The parser stops here, before a huge document costs memory: GRAPHQL_PARSE_FAILED.
    parseOptions: { maxTokens: config.limits.maxTokens },
    includeStacktraceInErrorResponses: development,
    formatError: createErrorFormatter({
      includeStackTrace: development,
      onMasked: (error) => logger.error({ err: error }, 'unexpected error masked as INTERNAL_SERVER_ERROR'),
    }),
    plugins: [
      // Federated traces (ftv1) for a gateway that asks; installed explicitly, Apollo would log that it did so itself.
      ApolloServerPluginInlineTrace(),
      createQueryLimitsPlugin(config.limits),
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

  const createContext = createContextFactory({ reads, servedStages: config.ivsTarget });
  registerGraphqlRoute<ServerContext>(app, {
    apollo,
    authenticator,
    metrics,
    trustedDocuments,
    maxBatchOperations: config.graphql.batching ? config.limits.maxBatchOperations : null,
    responseCache: createResponseCache({ settings: config.responseCache, authMode: config.auth.mode }),
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
  registerHealthRoutes(app, { readiness: deps.readiness, metrics });
  if (config.metrics.port === null) registerMetricsRoute(app, { metrics, token: config.metrics.token });
  return app;
}
