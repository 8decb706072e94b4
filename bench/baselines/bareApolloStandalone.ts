import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { closeOnSignal, listenPort } from './process.js';
import { buildBaselineSchema, constantParticipant } from './subgraph.js';

// Baseline `bare-apollo-standalone`: as `bare-apollo`, on Apollo's own node:http + express integration
// instead of Fastify, to show what the HTTP layer costs.
const participant = constantParticipant();
const apollo = new ApolloServer({ schema: buildBaselineSchema((key) => ({ ...participant, ...key })) });
await startStandaloneServer(apollo, { listen: { host: '127.0.0.1', port: listenPort() } });
closeOnSignal(() => apollo.stop());
