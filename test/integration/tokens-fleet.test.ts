import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { parse } from 'graphql';
import { startEmulator, type IvsEmulator } from '../../src/emulator/server.js';
import { pollUntil } from '../helpers/poll.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/process.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';
import { demo, startStack, type Stack } from '../helpers/stack.js';
import { startSupergraph, type Supergraph } from '../helpers/supergraph.js';

type Gateway = GatewayProcess & { url: string };

const connectedMessage = 'Redis connected: fleet-wide quota, cache and flight';
const mint = `mutation Mint($input: CreateParticipantTokenInput!) {
  createParticipantToken(input: $input) { token participantId }
}`;
const disconnect = `mutation Disconnect($input: DisconnectParticipantInput!) {
  disconnectParticipant(input: $input) { disconnected }
}`;
const participantState = `query State($participantId: String!) {
  participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: $participantId) { state }
}`;

interface Answer<T> {
  data?: T | null;
  errors?: { extensions?: Record<string, unknown> }[];
}
type Minted = { createParticipantToken: { token: string; participantId: string } };

async function post<T>(url: string, query: string, variables: Record<string, unknown>): Promise<Answer<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Answer<T>;
}

describe('three replicas sharing one Redis mint and disconnect as one gateway', () => {
  let emulator: IvsEmulator;
  let redis: RedisServer;
  let gateways: Gateway[];
  const graphql = <T>(gateway: Gateway | undefined, query: string, variables: Record<string, unknown>) =>
    post<T>(`${gateway?.url ?? ''}/graphql`, query, variables);

  before(async () => {
    // AWS's quotas: 5 calls per second for the reads and DisconnectParticipant, 50 for CreateParticipantToken.
    emulator = await startEmulator({ quota: { callsPerSecond: 5 } });
    redis = await startRedisServer();
    const startReplica = () =>
      startGatewayProcess({
        NODE_ENV: 'test',
        IVS_ENDPOINT: emulator.url,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AUTH_ALLOW_ANONYMOUS: 'true',
        AUTH_ANONYMOUS_WRITES: 'true',
        REDIS_URL: redis.url,
        REDIS_FLEET_SIZE_HINT: '3',
        UPSTREAM_DEADLINE_MS: '20000',
        // Four processes share two loaded cores: room for event-loop lag between slot and arrival.
        UPSTREAM_QUOTA_MARGIN_MS: '800',
        UPSTREAM_QUEUE_MAX: '300',
        UPSTREAM_QUEUE_MAX_PER_CALLER: '300',
        // Long enough that only an invalidation can explain a changed answer.
        UPSTREAM_CACHE_TTL_MS_BY_OPERATION: 'GetParticipant=30000',
      });
    gateways = await Promise.all([startReplica(), startReplica(), startReplica()]);
    await Promise.all(gateways.map((gateway) => gateway.waitForLine((line) => line['msg'] === connectedMessage)));
  });
  after(async () => {
    for (const gateway of gateways) gateway.child.kill('SIGKILL');
    await Promise.all(gateways.map((gateway) => gateway.exited));
    await redis.stop();
    await emulator.close();
  });
  beforeEach(() => emulator.reset());

  test(
    '240 mints at once through 3 replicas: never more than 50 CreateParticipantToken calls in a second, none throttled by IVS',
    { timeout: 90_000 },
    async () => {
      const answers = await Promise.all(
        Array.from({ length: 240 }, (_, i) =>
          graphql<Minted>(gateways[i % 3], mint, { input: { stageArn: demo.stageArn, userId: `viewer-${i}` } }),
        ),
      );
      const minted = answers.filter((answer) => answer.data?.createParticipantToken.token !== undefined).length;
      const refused = answers.filter((answer) => answer.errors?.[0]?.extensions?.['code'] === 'THROTTLED').length;
      assert.equal(minted + refused, answers.length, JSON.stringify(answers.find((answer) => !answer.data)));
      assert.ok(minted >= 100, `${minted} of 240 minted`);
      const stats = emulator.stats();
      assert.equal(stats.byOperation.CreateParticipantToken.throttled, 0);
      const peak = stats.maxCallsInAnyWindow(1000, 'CreateParticipantToken');
      assert.ok(peak <= 50, `${peak} CreateParticipantToken calls in one second`);
    },
  );

  test(
    'a disconnect through one replica is what the others answer next, though their cache held the participant',
    { timeout: 60_000 },
    async () => {
      const [a, b, c] = gateways;
      const minted = (await graphql<Minted>(a, mint, { input: { stageArn: demo.stageArn } })).data
        ?.createParticipantToken;
      assert.ok(minted);
      await fetch(`${emulator.url}/_emulator/join`, { method: 'POST', body: JSON.stringify({ token: minted.token }) });
      const { participantId } = minted;
      type State = { participant: { state: string } | null };
      for (const replica of [b, c, b, c]) {
        const answer = await graphql<State>(replica, participantState, { participantId });
        assert.equal(answer.data?.participant?.state, 'CONNECTED');
      }
      assert.equal(emulator.stats().byOperation.GetParticipant.calls, 1, 'cached fleet-wide');

      assert.equal(
        (
          await graphql<{ disconnectParticipant: { disconnected: boolean } }>(a, disconnect, {
            input: { stageArn: demo.stageArn, participantId },
          })
        ).data?.disconnectParticipant.disconnected,
        true,
      );
      // The bump reaches the other replicas by pub/sub; far sooner than the 30 s a cached answer would live.
      for (const replica of [b, c]) {
        const seen = await pollUntil(
          () => graphql<State>(replica, participantState, { participantId }),
          (answer) => answer.data?.participant?.state === 'DISCONNECTED',
          2000,
        );
        assert.equal(seen.data?.participant?.state, 'DISCONNECTED');
      }
    },
  );
});

describe('the mutations through @apollo/gateway', () => {
  let stack: Stack;
  let supergraph: Supergraph;

  before(async () => {
    stack = await startStack({ env: { AUTH_ANONYMOUS_WRITES: 'true' } });
    supergraph = await startSupergraph(stack, {
      name: 'rooms',
      typeDefs: parse(`
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.14", import: ["@key"])
        type Query { roomName: String }
      `),
      resolvers: { Query: { roomName: () => 'lobby' } },
    });
  });
  after(async () => {
    await supergraph.stop();
    await stack.close();
  });

  test('createParticipantToken and disconnectParticipant are routed to this subgraph', async () => {
    const minted = await post<Minted>(supergraph.url, mint, { input: { stageArn: demo.stageArn } });
    assert.equal(minted.errors, undefined, JSON.stringify(minted.errors));
    const token = minted.data?.createParticipantToken;
    assert.ok(token);
    const response = await fetch(`${stack.emulator.url}/_emulator/join`, {
      method: 'POST',
      body: JSON.stringify({ token: token.token }),
    });
    assert.equal(response.status, 200);
    const done = await post<{ disconnectParticipant: { disconnected: boolean } }>(supergraph.url, disconnect, {
      input: { stageArn: demo.stageArn, participantId: token.participantId },
    });
    assert.deepEqual(done.data, { disconnectParticipant: { disconnected: true } });
    const missing = await post(supergraph.url, disconnect, {
      input: { stageArn: demo.stageArn, participantId: token.participantId },
    });
    assert.equal(missing.errors?.[0]?.extensions?.['code'], 'NOT_FOUND');
    const { byOperation } = stack.emulator.stats();
    assert.equal(byOperation.CreateParticipantToken.calls, 1);
    assert.equal(byOperation.DisconnectParticipant.calls, 2);
  });
});
