import { randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import cors from '@fastify/cors';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { createContextFactory, type GatewayContext } from './context.js';
import { createErrorFormatter } from './errors.js';
import type { ParticipantSource } from './ivs/participantSource.js';
import type { Logger } from './logger.js';
import { buildSchema } from './schema.js';

export interface GatewayDependencies {
  config: Config;
  participantSource: ParticipantSource;
  logger: Logger;
}

/**
 * Builds the HTTP app (GraphQL at /graphql, /healthz, /readyz) from injected parts.
 * Never listens by itself: the caller decides where (index.ts in production, free ports in tests).
 */
export async function createGateway({ config, participantSource, logger }: GatewayDependencies): Promise<FastifyInstance> {
  const development = config.env !== 'production';
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast only drops pino's extra generic surface.
    loggerInstance: logger as FastifyBaseLogger,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
  });

  const apollo = new ApolloServer<GatewayContext>({
    schema: buildSchema(),
    logger,
    introspection: development,
    includeStacktraceInErrorResponses: development,
    formatError: createErrorFormatter({
      includeStackTrace: development,
      onMasked: (error) => logger.error({ err: error }, 'unexpected error masked as INTERNAL_SERVER_ERROR'),
    }),
    plugins: [
      fastifyApolloDrainPlugin(app),
      development ? ApolloServerPluginLandingPageLocalDefault({ embed: true }) : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  await app.register(cors, {
    origin: config.corsOrigins === '*' ? '*' : [...config.corsOrigins],
    exposedHeaders: ['x-request-id'],
    maxAge: 600,
  });
  await app.register(fastifyApollo(apollo), {
    path: '/graphql',
    context: createContextFactory({ participantSource, lookup: config.lookup }),
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async () => ({ status: 'ready' }));
  return app;
}
