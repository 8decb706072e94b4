import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import { startEmulator, type IvsEmulator, type WireParticipant } from '../../src/emulator/server.js';
import { liveKeyText } from '../../src/live/liveKey.js';
import { liveClient, subscribe, type Received } from '../helpers/live.js';
import { pollUntil } from '../helpers/poll.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/process.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';
import { demo, startStack, type Stack } from '../helpers/stack.js';

type Gateway = GatewayProcess & { url: string };

const session = { stageArn: demo.stageArn, sessionId: 'st-LiveFleet0001' };
const rosterChanged = `subscription ($stageArn: String!, $sessionId: String!) {
  rosterChanged(stageArn: $stageArn, sessionId: $sessionId) { reset joined { participantId } changed { participantId } left { participantId } }
}`;
type RosterData = { rosterChanged: { reset: boolean; joined: { participantId: string }[] } };

const person = (participantId: string): WireParticipant => ({
  participantId,
  userId: `user-${participantId}`,
  state: 'CONNECTED',
  firstJoinTime: '2026-12-03T08:00:00.000Z',
  published: false,
});

const rosterCalls = (emulator: IvsEmulator) => emulator.stats().byOperation.ListParticipants.calls;

describe('three replicas with one Redis watch each key once', () => {
  let emulator: IvsEmulator;
  let redis: RedisServer;
  let gateways: Gateway[];
  const clients: Client[] = [];
  const subscribers: Received<RosterData>[][] = [];

  const startReplica = (): Promise<Gateway> =>
    startGatewayProcess({
      NODE_ENV: 'test',
      AUTH_ALLOW_ANONYMOUS: 'true',
      IVS_ENDPOINT: emulator.url,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      REDIS_URL: redis.url,
      REDIS_FLEET_SIZE_HINT: '3',
      LIVE_MIN_INTERVAL_MS: '1000',
      LIVE_LEASE_TTL_MS: '2000',
      UPSTREAM_REVALIDATE_MIN_INTERVAL_MS: '0',
      UPSTREAM_QUOTA_MARGIN_MS: '400',
    });

  before(async () => {
    emulator = await startEmulator({ quota: { callsPerSecond: 5 } });
    emulator.addParticipant(session.stageArn, session.sessionId, person('ann'));
    redis = await startRedisServer();
    gateways = await Promise.all([startReplica(), startReplica(), startReplica()]);
    await Promise.all(
      gateways.map((gateway) =>
        gateway.waitForLine((line) => line['msg'] === 'Redis connected: fleet-wide quota, cache and flight'),
      ),
    );
  });
  after(async () => {
    for (const client of clients) await client.dispose();
    for (const gateway of gateways) gateway.child.kill('SIGKILL');
    await redis.stop();
    await emulator.close();
  });

  test(
    '200 subscribers of one roster on 3 replicas cost the refresh calls of one watcher',
    { timeout: 90_000 },
    async () => {
      // 10 sockets per replica, 66 or 67 subscriptions per replica: 200 in all.
      const sockets = gateways.map((gateway) =>
        Array.from({ length: 10 }, () => {
          const { client } = liveClient(gateway.url);
          clients.push(client);
          return client;
        }),
      );
      gateways.forEach(() => subscribers.push([]));
      for (let n = 0; n < 200; n += 1) {
        const replica = n % 3;
        const client = sockets[replica]?.[Math.floor(n / 3) % 10];
        if (client) subscribers[replica]?.push(subscribe<RosterData>(client, rosterChanged, session));
      }
      assert.equal(subscribers.flat().length, 200);
      for (const received of subscribers.flat()) {
        const first = await received.next(30_000);
        assert.deepEqual(first.data?.rosterChanged.joined, [{ participantId: 'ann' }]);
      }

      emulator.reset();
      const started = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 6000));
      const seconds = (Date.now() - started) / 1000;
      const calls = rosterCalls(emulator);
      // One watcher refreshes once per LIVE_MIN_INTERVAL_MS (1 s); three would make three times as many.
      assert.ok(calls >= seconds - 2 && calls <= seconds + 1, `${calls} ListParticipants calls in ${seconds} s`);

      // A change reaches every subscriber on every replica.
      emulator.addParticipant(session.stageArn, session.sessionId, person('ben'));
      for (const received of subscribers.flat()) {
        const update = await received.next(15_000);
        assert.deepEqual(update.data?.rosterChanged.joined, [{ participantId: 'ben' }]);
      }
    },
  );

  test(
    'killing the replica that holds the lease: another takes over within a few seconds',
    { timeout: 90_000 },
    async () => {
      const client = new Redis(redis.url);
      const holder = await client.get(`ivs-gql:live:lease:${liveKeyText({ kind: 'roster', key: session })}`);
      await client.quit();
      assert.ok(holder, 'a replica holds the lease');
      const pid = Number(holder.split(':')[1]);
      const leader = gateways.findIndex((gateway) => gateway.child.pid === pid);
      assert.ok(leader >= 0, `the holder ${holder} is one of the replicas`);
      gateways[leader]?.child.kill('SIGKILL');

      emulator.reset();
      const killedAt = Date.now();
      await pollUntil(
        async () => rosterCalls(emulator),
        (calls) => calls >= 2,
        15_000,
      );
      const takeoverMs = Date.now() - killedAt;
      assert.ok(takeoverMs < 8000, `refreshes resumed ${takeoverMs} ms after the kill`);

      emulator.addParticipant(session.stageArn, session.sessionId, person('cat'));
      const survivors = subscribers.filter((_mine, index) => index !== leader).flat();
      for (const received of survivors) {
        let update = await received.next(15_000);
        // A survivor that saw the holder's last answers may first get what it missed as a reset.
        while (!update.data?.rosterChanged.joined.some((joined) => joined.participantId === 'cat')) {
          update = await received.next(15_000);
        }
      }
    },
  );
});

describe('a stage event given to one replica reaches the subscribers of another', () => {
  let redis: RedisServer;
  let first: Stack;
  let second: Stack;
  before(async () => {
    redis = await startRedisServer();
    const env = { REDIS_URL: redis.url, LIVE_MIN_INTERVAL_MS: '60000', UPSTREAM_REVALIDATE_MIN_INTERVAL_MS: '0' };
    first = await startStack({ env });
    second = await startStack({ env: { ...env, IVS_ENDPOINT: first.emulator.url } });
  });
  after(async () => {
    await first.close();
    await second.close();
    await redis.stop();
  });

  test('pushed within a second, applied once', { timeout: 60_000 }, async () => {
    first.emulator.addParticipant(session.stageArn, session.sessionId, person('ann'));
    const query = `subscription ($stageArn: String!, $sessionId: String!, $participantId: String!) {
      participantChanged(stageArn: $stageArn, sessionId: $sessionId, participantId: $participantId) { published }
    }`;
    const { client } = liveClient(second.url);
    const updates = subscribe<{ participantChanged: { published: boolean } }>(client, query, {
      ...session,
      participantId: 'ann',
    });
    assert.equal((await updates.next()).data?.participantChanged.published, false);
    // The second replica's subscription must be known fleet-wide before the event: its channel subscribed.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sent = performance.now();
    first.live.stageEvents({
      id: 'event-1',
      time: new Date(),
      name: 'Participant Published',
      ...session,
      participantId: 'ann',
      userId: 'user-ann',
      published: true,
    });
    assert.equal((await updates.next(1000)).data?.participantChanged.published, true);
    assert.ok(performance.now() - sent < 1000);
    assert.equal(await updates.quiet(1000), true, 'applied once');
    await client.dispose();
  });
});
