import assert from 'node:assert/strict';
import { composeServices } from '@apollo/composition';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type DocumentNode } from 'graphql';
import type { Stack } from './stack.js';

export interface Supergraph {
  /** URL of the router (the real @apollo/gateway) in front of both subgraphs. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Composes this gateway's subgraph (its SDL as served by `_service`) with a second subgraph, and serves the
 * supergraph through @apollo/gateway, as a platform team would run it.
 */
export async function startSupergraph(
  stack: Stack,
  other: { name: string; typeDefs: DocumentNode; resolvers: { Query: Record<string, () => unknown> } },
): Promise<Supergraph> {
  const subgraph = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: other.typeDefs, resolvers: other.resolvers }),
  });
  const { url: subgraphUrl } = await startStandaloneServer(subgraph, { listen: { host: '127.0.0.1', port: 0 } });
  const { sdl } = (await stack.graphql<{ _service: { sdl: string } }>('{ _service { sdl } }')).body.data!._service;
  const composition = composeServices([
    { name: 'participants', typeDefs: parse(sdl), url: `${stack.url}/graphql` },
    { name: other.name, typeDefs: other.typeDefs, url: subgraphUrl },
  ]);
  assert.deepEqual(composition.errors ?? [], []);
  assert.ok(composition.supergraphSdl);
  const router = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: composition.supergraphSdl }) });
  const { url } = await startStandaloneServer(router, { listen: { host: '127.0.0.1', port: 0 } });
  return {
    url,
    async stop() {
      await router.stop();
      await subgraph.stop();
    },
  };
}
