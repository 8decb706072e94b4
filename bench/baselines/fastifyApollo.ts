import { ApolloServer } from '@apollo/server';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import Fastify from 'fastify';
import type { GraphQLSchema } from 'graphql';
import { closeOnSignal, listenPort } from './process.js';

/**
 * Serves `schema` the way the gateway does (Fastify 5 + @as-integrations/fastify at /graphql), without
 * anything else the gateway adds: no logger, CORS, request ids, error formatting or landing page choice.
 */
export async function serveWithFastify(schema: GraphQLSchema): Promise<void> {
  const app = Fastify();
  const apollo = new ApolloServer({ schema, plugins: [fastifyApolloDrainPlugin(app)] });
  await apollo.start();
  await app.register(fastifyApollo(apollo), { path: '/graphql' });
  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.listen({ host: '127.0.0.1', port: listenPort() });
  closeOnSignal(() => app.close());
}
