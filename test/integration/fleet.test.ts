import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { faults, startEmulator, type IvsEmulator } from '../../src/emulator/server.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/process.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';
import { demo } from '../helpers/stack.js';

type Gateway = GatewayProcess & { url: string };

const connectedMessage = 'Redis connected: fleet-wide quota, cache and flight';

const query = `query ($id: String!) {
  participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: $id) { participantId }
}`;

interface Answer {
  status: number;
  body: {
    data?: { participant: { participantId: string } | null } | null;
    errors?: { extensions?: { code?: string } }[];
  };
}

async function ask(gateway: Gateway, id: string): Promise<Answer> {
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables: { id } }),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

/** What a replica reports about the fleet, read from its /metrics (/readyz says only ready or not). */
async function fleetState(
  gateway: Gateway,
): Promise<{ redis: 'up' | 'down'; replicas: number; getParticipant: string }> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const sample = (series: string): number => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    assert.ok(line, `${series} in /metrics`);
    return Number(line.slice(series.length + 1));
  };
  return {
    redis: sample('gateway_redis_up') === 1 ? 'up' : 'down',
    replicas: sample('gateway_fleet_replicas'),
    getParticipant:
      sample('ivs_quota_slots_shared{quota_domain="default:us-east-1:GetParticipant"}') === 1 ? 'shared' : 'local',
  };
}

/** Data, or a typed error the README documents: never an untyped failure. */
function answeredProperly(answer: Answer): boolean {
  if (answer.body.data?.participant?.participantId !== undefined) return true;
  const code = answer.body.errors?.[0]?.extensions?.code;
  return typeof code === 'string' && ['THROTTLED', 'UPSTREAM_TIMEOUT', 'UPSTREAM_UNAVAILABLE'].includes(code);
}

// Distinct cold keys per test: the shared cache outlives a test, the emulator's counters do not.
let nextId = 0;
const freshIds = (count: number): string[] =>
  Array.from({ length: count }, () => `p-${String(nextId++).padStart(4, '0')}`);

describe('three replicas sharing one Redis behave as one gateway toward IVS', () => {
  let emulator: IvsEmulator;
  let redis: RedisServer;
  let gateways: Gateway[];

  const startReplica = (): Promise<Gateway> =>
    startGatewayProcess({
      NODE_ENV: 'test',
      IVS_ENDPOINT: emulator.url,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      REDIS_URL: redis.url,
      REDIS_FLEET_SIZE_HINT: '3',
      AUTH_ALLOW_ANONYMOUS: 'true',
      UPSTREAM_DEADLINE_MS: '15000',
      // Four processes share two loaded cores in CI: room for their event-loop lag between slot and arrival.
      UPSTREAM_QUOTA_MARGIN_MS: '400',
      UPSTREAM_QUEUE_MAX: '200',
      GRAPHQL_RESPONSE_CACHE_TTL_SECONDS: '0',
    });

  const connected = (gateway: Gateway) => gateway.waitForLine((line) => line['msg'] === connectedMessage);

  before(async () => {
    emulator = await startEmulator({
      quota: { callsPerSecond: 5 },
      generatedParticipants: { stageArn: demo.stageArn, sessionId: demo.sessionId, count: 1000 },
    });
    redis = await startRedisServer();
    gateways = await Promise.all([startReplica(), startReplica(), startReplica()]);
    await Promise.all(gateways.map(connected));
  });

  after(async () => {
    for (const gateway of gateways) gateway.child.kill('SIGKILL');
    await Promise.all(gateways.map((gateway) => gateway.exited));
    await redis.stop();
    await emulator.close();
  });

  beforeEach(() => {
    emulator.reset();
  });

  test('300 requests for one cold participant through 3 replicas cost 1 IVS call', { timeout: 60_000 }, async () => {
    const [id] = freshIds(1) as [string];
    const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => ask(gateways[i % 3] as Gateway, id)));
    assert.ok(answers.every((answer) => answer.body.data?.participant?.participantId === id));
    assert.equal(emulator.stats().calls, 1);
  });

  test(
    'a failure of the one call reaches the lookups waiting on every replica, with its code',
    { timeout: 60_000 },
    async () => {
      const [id] = freshIds(1) as [string];
      emulator.injectFault(faults.accessDenied(), { participantId: id, times: Infinity });
      // Slow enough that every request arrives while the one call is still out.
      emulator.configure({ latencyMs: 500 });
      try {
        const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => ask(gateways[i % 3] as Gateway, id)));
        assert.deepEqual(
          new Set(answers.map((answer) => answer.body.errors?.[0]?.extensions?.code)),
          new Set(['FORBIDDEN']),
        );
        assert.equal(emulator.stats().calls, 1);
      } finally {
        emulator.configure({ latencyMs: 0 });
        emulator.clearFaults();
      }
    },
  );

  test('a participant fetched through one replica is a cache hit on the others', { timeout: 60_000 }, async () => {
    const [id] = freshIds(1) as [string];
    assert.equal((await ask(gateways[0] as Gateway, id)).body.data?.participant?.participantId, id);
    assert.equal((await ask(gateways[1] as Gateway, id)).body.data?.participant?.participantId, id);
    assert.equal((await ask(gateways[2] as Gateway, id)).body.data?.participant?.participantId, id);
    assert.equal(emulator.stats().calls, 1);
  });

  test(
    '35 distinct cold participants through 3 replicas: never more than 5 calls in a second, none throttled',
    { timeout: 60_000 },
    async () => {
      const ids = freshIds(35);
      const answers = await Promise.all(ids.map((id, i) => ask(gateways[i % 3] as Gateway, id)));
      assert.ok(
        answers.every((answer) => answer.body.data?.participant?.participantId !== undefined),
        JSON.stringify(answers.find((a) => !a.body.data?.participant)),
      );
      const stats = emulator.stats();
      assert.equal(stats.calls, 35);
      assert.equal(stats.throttled, 0);
      assert.ok(stats.maxCallsInAnyWindow(1000) <= 5, `${stats.maxCallsInAnyWindow(1000)} calls in one second`);
    },
  );

  test(
    'Redis killed mid-burst: within the quota, every request answered, replicas ready; restarted: shared again',
    { timeout: 120_000 },
    async () => {
      const ids = freshIds(30);
      const burst = Promise.all(ids.map((id, i) => ask(gateways[i % 3] as Gateway, id)));
      await emulator.waitForCalls(3);
      const killedAt = Date.now();
      await redis.kill();
      const answers = await burst;
      assert.ok(answers.every(answeredProperly), JSON.stringify(answers.find((answer) => !answeredProperly(answer))));
      assert.ok(
        answers.some((answer) => answer.body.data?.participant),
        'some lookups still got data',
      );
      const stats = emulator.stats();
      assert.equal(stats.throttled, 0);
      assert.ok(stats.maxCallsInAnyWindow(1000) <= 5, `${stats.maxCallsInAnyWindow(1000)} calls in one second`);
      for (const gateway of gateways) {
        assert.equal((await fetch(`${gateway.url}/readyz`)).status, 200, 'a Redis outage leaves the replica ready');
        const state = await fleetState(gateway);
        assert.equal(state.redis, 'down');
        assert.equal(state.getParticipant, 'local');
      }
      // Logged once per replica, not once per request.
      for (const gateway of gateways) {
        const outages = gateway.lines.filter(
          (line) => line['msg'] === 'Redis unreachable: degraded mode, reconnecting',
        );
        assert.equal(outages.length, 1);
      }

      await redis.restart();
      await Promise.all(
        gateways.map((gateway) =>
          gateway.waitForLine((line) => line['msg'] === connectedMessage && Number(line['time']) > killedAt),
        ),
      );
      emulator.reset();
      const [id] = freshIds(1) as [string];
      const herd = await Promise.all(Array.from({ length: 60 }, (_, i) => ask(gateways[i % 3] as Gateway, id)));
      assert.ok(herd.every((answer) => answer.body.data?.participant?.participantId === id));
      assert.equal(emulator.stats().calls, 1);
      for (const gateway of gateways) {
        assert.equal((await fleetState(gateway)).redis, 'up');
      }
    },
  );

  test(
    'when the replica holding a flight dies mid-call, another replica completes the key',
    { timeout: 60_000 },
    async () => {
      const victim = await startReplica();
      await connected(victim);
      const [id] = freshIds(1) as [string];
      emulator.configure({ latencyMs: 1500 });
      try {
        const orphaned = ask(victim, id).catch(() => undefined);
        await emulator.waitForCalls(1);
        victim.child.kill('SIGKILL');
        await victim.exited;
        await orphaned;
        const answer = await ask(gateways[1] as Gateway, id);
        assert.equal(answer.body.data?.participant?.participantId, id);
        assert.equal(emulator.stats().calls, 2, 'the dead holder’s call and the one that took over');
      } finally {
        emulator.configure({ latencyMs: 0 });
      }
    },
  );

  test('each replica counts the fleet; one that shuts down leaves it at once', { timeout: 60_000 }, async () => {
    const leaver = await startReplica();
    const replicaId = String((await leaver.waitForLine((line) => typeof line['replicaId'] === 'string'))['replicaId']);
    await leaver.waitForLine((line) => line['msg'] === 'fleet size changed' && line['replicas'] === 4);
    assert.equal((await fleetState(leaver)).replicas, 4);
    const members = new Redis(redis.url);
    try {
      assert.notEqual(await members.zscore('ivs-gql:members', replicaId), null);
      leaver.child.kill('SIGTERM');
      assert.equal(await leaver.exited, 0);
      // Removed on shutdown, not left to expire after three missed heartbeats.
      assert.equal(await members.zscore('ivs-gql:members', replicaId), null);
    } finally {
      members.disconnect();
    }
  });
});

describe('a replica whose Redis is unreachable from the start', () => {
  test(
    'starts, says so once, serves on its hinted share of the quota, and shuts down cleanly',
    { timeout: 60_000 },
    async () => {
      const redis = await startRedisServer();
      await redis.kill();
      const emulator = await startEmulator({ quota: { callsPerSecond: 5 } });
      const gateway = await startGatewayProcess({
        NODE_ENV: 'test',
        IVS_ENDPOINT: emulator.url,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        REDIS_URL: redis.url,
        REDIS_FLEET_SIZE_HINT: '2',
        AUTH_ALLOW_ANONYMOUS: 'true',
      });
      try {
        const answers = await Promise.all(['alice', 'bob'].map((id) => ask(gateway, id)));
        assert.deepEqual(
          answers.map((answer) => answer.body.data?.participant?.participantId),
          ['alice', 'bob'],
        );
        const share = gateway.lines.find((line) => line['fleetSizeFrom'] !== undefined);
        assert.equal(share?.['fleetSizeFrom'], 'REDIS_FLEET_SIZE_HINT');
        assert.equal(share?.['localCallsPerWindow'], 2);
        const outages = gateway.lines.filter(
          (line) => line['msg'] === 'Redis unreachable: degraded mode, reconnecting',
        );
        assert.equal(outages.length, 1);
        assert.equal((await fleetState(gateway)).redis, 'down');
      } finally {
        gateway.child.kill('SIGTERM');
        assert.equal(await gateway.exited, 0, gateway.stderr());
        await emulator.close();
      }
    },
  );
});
