import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/logger.js';
import { createRedisGenerations } from '../../src/upstream/cache/redisGenerations.js';
import { createRedisWatchChannel } from '../../src/live/redisWatchChannel.js';
import { pollUntil } from '../helpers/poll.js';
import { useRedisForTests } from '../helpers/redis.js';

// A busy replica's SUBSCRIBE can outlast the command timeout while the connection stays up: Redis still runs it
// later. Pausing Redis's clients longer than the timeout makes that happen on demand.
const commandTimeoutMs = 200;
const pauseMs = 600;
const logger = createLogger({ level: 'silent' });

const redis = useRedisForTests({ commandTimeoutMs });
const { connect } = redis;
// Made at first use, inside a test: the server is started by the helper's before hook.
let admin: Redis | undefined;
const adminClient = (): Redis => (admin ??= new Redis(redis.server().url));
// Not QUIT: the server may already be stopped by the helper's own after hook.
after(() => admin?.disconnect());

/** Runs `during` while Redis holds every client's commands; resolves once Redis serves them again. */
async function whileRedisPaused(during: () => Promise<void>): Promise<void> {
  await adminClient().call('CLIENT', 'PAUSE', String(pauseMs), 'ALL');
  await during();
  // Held too, so answered only after the pause: by then the commands sent during it have timed out.
  const started = Date.now();
  await adminClient().ping();
  assert.ok(Date.now() - started > commandTimeoutMs, 'the pause outlasted the command timeout');
}

describe('a SUBSCRIBE that times out on a live connection', () => {
  test('rejects and leaves the channel without a subscriber', { timeout: 10_000 }, async () => {
    const connection = await connect(redis.freshPrefix('s'));
    const channel = connection.key('timed-out');
    let rejected = false;
    await whileRedisPaused(async () => {
      await connection.subscribe(channel, () => undefined).catch(() => (rejected = true));
    });
    assert.equal(rejected, true);
    assert.equal(connection.health(), 'up');
    // The late SUBSCRIBE and the UNSUBSCRIBE after it both run once the pause ends.
    await pollUntil(
      async () => (await adminClient().pubsub('NUMSUB', channel)) as [string, number],
      ([, subscribers]) => subscribers === 0,
      2000,
    );
  });

  test('the watch channel still receives the answers of the key', { timeout: 10_000 }, async () => {
    const keyPrefix = redis.freshPrefix('s');
    const holder = createRedisWatchChannel({
      connection: await connect(keyPrefix),
      replicaId: 'holder',
      leaseTtlMs: 900,
    });
    const watcher = createRedisWatchChannel({
      connection: await connect(keyPrefix),
      replicaId: 'watcher',
      leaseTtlMs: 900,
    });
    const received: string[] = [];
    holder.join('key', 'ListParticipants', () => undefined);
    await whileRedisPaused(async () => {
      watcher.join('key', 'ListParticipants', (message) => received.push(message));
    });
    // The holder publishes each refresh; the watcher's subscription is retried, so later answers reach it.
    await pollUntil(
      async () => {
        holder.publish('key', 'answer');
        return received.length;
      },
      (count) => count > 0,
      5000,
    );
    assert.equal(received[0], 'answer');
    await Promise.all([holder.close(), watcher.close()]);
  });

  test('the stage generations still learn the bumps of other replicas', { timeout: 10_000 }, async () => {
    const keyPrefix = redis.freshPrefix('s');
    const bumper = createRedisGenerations(await connect(keyPrefix), logger);
    const connection = await connect(keyPrefix);
    let learner: ReturnType<typeof createRedisGenerations> | undefined;
    await whileRedisPaused(async () => {
      learner = createRedisGenerations(connection, logger);
    });
    const stageArn = 'arn:aws:ivs:us-east-1:123456789012:stage/A';
    await pollUntil(
      async () => (await adminClient().pubsub('NUMSUB', connection.key('generations'))) as [string, number],
      ([, subscribers]) => subscribers === 2,
      5000,
    );
    await bumper.bump(stageArn);
    await pollUntil(
      async () => learner?.of(stageArn) ?? 0,
      (generation) => generation === 1,
      5000,
    );
    await Promise.all([bumper.close(), learner?.close()]);
  });
});
