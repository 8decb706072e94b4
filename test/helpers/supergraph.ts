import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { parse, type DocumentNode } from 'graphql';
import type { Stack } from './stack.js';

// A second subgraph, as a platform team would write it: it only knows participant keys.
export const moderationTypeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.14", import: ["@key"])
  type Query { flaggedParticipants: [Participant] }
  type Participant @key(fields: "stageArn sessionId participantId", resolvable: false) {
    stageArn: String!
    sessionId: String!
    participantId: String!
  }
`);

export interface Supergraph {
  /** URL of the router (the real @apollo/gateway or Hive Gateway) in front of both subgraphs. */
  url: string;
  stop(): Promise<void>;
}

/** A second subgraph, as another team would write it. */
export interface OtherSubgraph {
  name: string;
  typeDefs: DocumentNode;
  resolvers: { Query: Record<string, () => unknown> };
}

/** How Hive Gateway reaches this subgraph. */
export interface HiveOptions {
  /** Subscriptions over graphql-ws on /graphql, or over SSE on /graphql/stream. */
  subscriptions: 'ws' | 'sse';
  /** The key Hive Gateway presents to this subgraph (a header, and graphql-ws's `connection_init` payload). */
  apiKey?: string;
}

/**
 * Serves `other`, and composes this gateway's subgraph (its SDL as served by `_service`) with it, as
 * `rover supergraph compose` would.
 */
async function composeWith(
  stack: Stack,
  other: OtherSubgraph,
  headers?: Record<string, string>,
): Promise<{ supergraphSdl: string; otherStop: () => Promise<void> }> {
  const subgraph = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: other.typeDefs, resolvers: other.resolvers }),
  });
  const { url: subgraphUrl } = await startStandaloneServer(subgraph, { listen: { host: '127.0.0.1', port: 0 } });
  const { sdl } = (await stack.graphql<{ _service: { sdl: string } }>('{ _service { sdl } }', undefined, headers)).body
    .data!._service;
  const composition = composeServices([
    { name: 'participants', typeDefs: parse(sdl), url: `${stack.url}/graphql` },
    { name: other.name, typeDefs: other.typeDefs, url: subgraphUrl },
  ]);
  assert.deepEqual(composition.errors ?? [], []);
  assert.ok(composition.supergraphSdl);
  return { supergraphSdl: composition.supergraphSdl, otherStop: () => subgraph.stop() };
}

/** The supergraph of this gateway and `other`, served through @apollo/gateway, as a platform team would run it. */
export async function startSupergraph(stack: Stack, other: OtherSubgraph): Promise<Supergraph> {
  const { supergraphSdl, otherStop } = await composeWith(stack, other);
  const router = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
  const { url } = await startStandaloneServer(router, { listen: { host: '127.0.0.1', port: 0 } });
  return {
    url,
    async stop() {
      await router.stop();
      await otherStop();
    },
  };
}

/**
 * The same supergraph served through Hive Gateway (in process, on Node's HTTP server), configured as the README's
 * "Add it to a supergraph" shows. Clients query and subscribe (over SSE) at `url`.
 */
export async function startHiveSupergraph(
  stack: Stack,
  other: OtherSubgraph,
  options: HiveOptions,
): Promise<Supergraph> {
  const credentials = options.apiKey === undefined ? undefined : { 'x-api-key': options.apiKey };
  const { supergraphSdl, otherStop } = await composeWith(stack, other, credentials);
  const gateway = createGatewayRuntime({
    supergraph: supergraphSdl,
    logging: false,
    transportEntries: {
      participants: {
        ...(credentials && { headers: Object.entries(credentials) }),
        options: {
          subscriptions:
            options.subscriptions === 'ws'
              ? { kind: 'ws', ...(credentials && { options: { connectionParams: credentials } }) }
              : { kind: 'http', location: '/graphql/stream' },
        },
      },
    },
  });
  const server = createServer(gateway.requestListener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    async stop() {
      await gateway.dispose();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
      await otherStop();
    },
  };
}
