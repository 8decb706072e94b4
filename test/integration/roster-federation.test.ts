import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse } from 'graphql';
import { startStack, type Stack } from '../helpers/stack.js';
import { startSupergraph, type Supergraph } from '../helpers/supergraph.js';

const townHall = { stageArn: 'arn:aws:ivs:us-east-1:123456789012:stage/DemoStage03', sessionId: 'st-DemoTownHall1' };

// A second subgraph, as an events team would write it: it knows which session is featured, by key only.
const scheduleTypeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.14", import: ["@key"])
  type Query { featuredSession: StageSession }
  type StageSession @key(fields: "stageArn sessionId", resolvable: false) {
    stageArn: String!
    sessionId: String!
  }
`);

describe('a roster through the composed supergraph', () => {
  let stack: Stack;
  let supergraph: Supergraph;
  let routerUrl: string;

  before(async () => {
    stack = await startStack({ env: { GRAPHQL_RESPONSE_CACHE_TTL_SECONDS: '0' } });
    supergraph = await startSupergraph(stack, {
      name: 'schedule',
      typeDefs: scheduleTypeDefs,
      resolvers: { Query: { featuredSession: () => townHall } },
    });
    routerUrl = supergraph.url;
  });
  after(async () => {
    await supergraph.stop();
    await stack.close();
  });

  test('a session entity from another subgraph resolves here; its 100-person roster costs one ListParticipants call', async () => {
    const response = await fetch(routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `{ featuredSession { sessionId startTime participants(first: 100) {
          nodes { id participantId state published } pageInfo { hasNextPage }
        } } }`,
      }),
    });
    const body = (await response.json()) as {
      data?: {
        featuredSession: {
          sessionId: string;
          startTime: string;
          participants: { nodes: { participantId: string }[]; pageInfo: { hasNextPage: boolean } };
        };
      };
      errors?: unknown[];
    };
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const session = body.data?.featuredSession;
    assert.equal(session?.startTime, '2025-01-15T09:55:00.000Z');
    assert.equal(session?.participants.nodes.length, 100);
    assert.equal(session?.participants.nodes[99]?.participantId, 'p-0099');
    assert.equal(session?.participants.pageInfo.hasNextPage, true, 'the demo town hall has 300 participants');
    const { byOperation } = stack.emulator.stats();
    assert.equal(byOperation.ListParticipants.calls, 1);
    assert.equal(byOperation.GetStageSession.calls, 1);
    assert.equal(byOperation.GetParticipant.calls, 0);
  });
});
