import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { createLogger } from '../../src/logger.js';
import { createRedisConnection, type RedisConnection, type RedisHealth } from '../../src/upstream/redis/connection.js';
import { createRedisSlots, type RedisSlotsOptions } from '../../src/upstream/quota/redisSlots.js';
import { systemClock, type Clock } from '../../src/clock.js';
import { createLogSink } from '../helpers/stack.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';

const domain = { account: '123456789012', region: 'us-east-1', operation: 'GetParticipant' } as const;

function healthReached(connection: RedisConnection, wanted: RedisHealth): Promise<void> {
  if (connection.health() === wanted) return Promise.resolve();
  return new Promise((resolve) => connection.onHealthChange((health) => health === wanted && resolve()));
}

/** A clock moved by hand, for the local side (Redis keeps its own time). */
function handClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  return { now: () => now, schedule: () => () => undefined, advance: (ms) => void (now += ms) };
}

describe('shared start slots in Redis', () => {
  let redis: RedisServer;
  const connections: RedisConnection[] = [];
  let run = 0;

  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    await Promise.all(connections.map((connection) => connection.close()));
    await redis.stop();
  });

  const replica = async (options: Partial<RedisSlotsOptions> = {}, sink = createLogSink()) => {
    const logger = createLogger({ level: 'info', destination: sink.destination });
    const connection = createRedisConnection({ url: redis.url, keyPrefix: `t${run}:`, commandTimeoutMs: 500, logger });
    connections.push(connection);
    await healthReached(connection, 'up');
    const slots = createRedisSlots({
      connection,
      domain,
      callsPerWindow: 5,
      windowMs: 1000,
      replicaId: `replica-${connections.length}`,
      fleetSize: () => undefined,
      fleetSizeHint: 2,
      probeMs: 0,
      clock: systemClock,
      logger,
      ...options,
    });
    return { connection, slots, lines: sink.lines };
  };

  test(
    'a start that ended counts from its end: the next one waits a whole window after it',
    { timeout: 20_000 },
    async () => {
      run += 1;
      const a = await replica({ callsPerWindow: 1 });
      const first = await a.slots.take();
      assert.ok(first.granted);
      // The call takes a while: its start ages in the window meanwhile.
      await setTimeout(300);
      const before = await a.slots.take();
      assert.ok(!before.granted);
      first.slot.ended();
      // The re-stamp is sent before the next take on the same connection, so Redis sees it first.
      const after = await a.slots.take();
      assert.ok(
        !before.granted && !after.granted && after.retryInMs > before.retryInMs + 200,
        JSON.stringify({ before, after }),
      );
    },
  );

  test(
    'a throttle reported by one replica halves the limit for all, once per window',
    { timeout: 20_000 },
    async () => {
      run += 1;
      const a = await replica();
      const b = await replica();
      a.slots.reportThrottled();
      a.slots.reportThrottled();
      assert.equal((await b.slots.take()).granted, true);
      assert.equal((await b.slots.take()).granted, true);
      assert.equal(b.slots.currentLimit(), 2);
      const refused = await a.slots.take();
      assert.equal(refused.granted, false);
      // The next recovery step (2 s) or the first start leaving the window (1 s), whichever comes first.
      assert.ok(!refused.granted && refused.retryInMs <= 1000, JSON.stringify(refused));
    },
  );

  test(
    'with Redis down: one quiet window, then the local share, then back to shared without a burst',
    { timeout: 30_000 },
    async () => {
      run += 1;
      const clock = handClock();
      const { connection, slots, lines } = await replica({ clock });
      await redis.kill();
      await healthReached(connection, 'down');

      assert.deepEqual(await slots.take(), { granted: false, retryInMs: 1000 });
      assert.equal(slots.mode(), 'local');
      const warning = lines.find(
        (line) => line['msg'] === 'shared quota unavailable: this replica keeps to its local share of the quota',
      );
      assert.equal(warning?.['fleetSizeFrom'], 'REDIS_FLEET_SIZE_HINT');
      assert.equal(warning?.['localCallsPerWindow'], 2);

      clock.advance(1000);
      assert.equal((await slots.take()).granted, true);
      assert.equal((await slots.take()).granted, true);
      assert.equal((await slots.take()).granted, false, 'the local share of a fleet of 2 is 2');

      await redis.restart();
      await healthReached(connection, 'up');
      // Replayed: 2 own starts and room for the other replica's 2; then one more start fits the quota of 5.
      assert.equal((await slots.take()).granted, true);
      assert.equal(slots.mode(), 'shared');
      assert.equal((await slots.take()).granted, false, 'the switch back must not exceed the quota in the window');
    },
  );
});
