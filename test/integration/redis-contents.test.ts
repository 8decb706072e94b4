import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/logger.js';
import { participantKeyText } from '../../src/model.js';
import { createRedisConnection, type RedisConnection } from '../../src/upstream/redis/connection.js';
import { createMembership } from '../../src/upstream/redis/membership.js';
import { createRedisSlots } from '../../src/upstream/quota/redisSlots.js';
import { systemClock } from '../../src/clock.js';
import { quotaDomainText } from '../../src/upstream/quota/domain.js';
import { pollUntil } from '../helpers/poll.js';
import { demoParticipantQuery } from '../helpers/queries.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';
import { demo, startStack, type Stack } from '../helpers/stack.js';

// Whoever can write to the gateway's Redis (another environment sharing it by prefix, say) must not be able
// to put words into clients' errors, stall lookups, or knock the fleet off its shared quota.

const participantQuery = demoParticipantQuery('participantId');

describe('what the gateway reads from Redis is checked, not trusted', () => {
  let redis: RedisServer;
  let raw: Redis;

  before(async () => {
    redis = await startRedisServer();
    raw = new Redis(redis.url);
  });
  after(async () => {
    raw.disconnect();
    await redis.stop();
  });

  describe('flights', () => {
    const prefix = 'contents:';
    let stack: Stack;

    before(async () => {
      stack = await startStack({
        env: {
          REDIS_URL: redis.url,
          REDIS_KEY_PREFIX: prefix,
          REDIS_NEAR_CACHE_TTL_MS: '0',
          UPSTREAM_DEADLINE_MS: '30000',
          GRAPHQL_RESPONSE_CACHE_TTL_SECONDS: '0',
        },
      });
      // The membership heartbeat is the gateway's first write: from then on it uses Redis.
      await pollUntil(
        () => raw.exists(`${prefix}members`),
        (count) => count === 1,
        20_000,
      );
    });
    after(() => stack.close());
    beforeEach(() => stack.emulator.reset());

    const flightKeys = (participantId: string) => {
      const text = participantKeyText({ stageArn: demo.stageArn, sessionId: demo.sessionId, participantId });
      return { claim: `${prefix}flight:${text}`, channel: `${prefix}flight-done:${text}` };
    };

    /** Claims the key as another replica would, asks for it, and publishes `notice` once the gateway waits. */
    const answerWithNotice = async (participantId: string, notice: unknown) => {
      const { claim, channel } = flightKeys(participantId);
      await raw.set(claim, 'another-replica', 'PX', 20_000);
      try {
        const answer = stack.graphql(participantQuery, { id: participantId });
        await pollUntil(
          async () => ((await raw.pubsub('NUMSUB', channel)) as [string, number])[1],
          (subscribers) => subscribers >= 1,
          20_000,
        );
        await raw.publish(channel, JSON.stringify(notice));
        return await answer;
      } finally {
        await raw.del(claim);
      }
    };

    const injected = ['Call +1-555-0100', 'evil.example', '<script>', 'SEE_ATTACKER'];

    test(
      "a failure notice published by anyone reaches waiting clients only as the gateway's own words",
      { timeout: 60_000 },
      async () => {
        const answer = await answerWithNotice('alice', {
          outcome: 'failed',
          code: 'NOT_FOUND',
          message: 'Your account is locked. Call +1-555-0100',
          details: {
            reason: 'SEE_ATTACKER',
            retryAfterSeconds: 'evil.example',
            ivs: { errorType: '<script>', requestId: 'x'.repeat(500), retryable: true, httpStatus: 404 },
            cause: 'evil.example',
          },
        });
        const [error] = answer.body.errors ?? [];
        assert.equal(error?.extensions?.code, 'NOT_FOUND');
        assert.equal(error?.message, 'IVS has no such stage, session or participant');
        assert.deepEqual(error?.extensions?.ivs, { httpStatus: 404, retryable: true });
        const text = JSON.stringify(answer.body);
        for (const words of injected) assert.ok(!text.includes(words), `"${words}" reached the client: ${text}`);
        assert.equal(stack.emulator.stats().calls, 0);
      },
    );

    test(
      'a failure notice with a code the gateway does not know is a generic upstream failure',
      { timeout: 60_000 },
      async () => {
        const answer = await answerWithNotice('bob', {
          outcome: 'failed',
          code: 'SEE_ATTACKER',
          message: 'Call +1-555-0100',
        });
        const [error] = answer.body.errors ?? [];
        assert.equal(error?.extensions?.code, 'UPSTREAM_UNAVAILABLE');
        assert.equal(error?.message, 'IVS could not be reached or failed to answer');
        const text = JSON.stringify(answer.body);
        for (const words of injected) assert.ok(!text.includes(words), `"${words}" reached the client: ${text}`);
      },
    );

    test(
      "a cached NOT_FOUND written into Redis by anyone reaches clients only in the gateway's own words",
      { timeout: 60_000 },
      async () => {
        const participantId = 'planted';
        const text = participantKeyText({ stageArn: demo.stageArn, sessionId: demo.sessionId, participantId });
        const now = Date.now();
        await raw.set(
          `${prefix}cache:ivs:GetParticipant:${text}`,
          JSON.stringify({
            v: 2,
            fetchedAt: now,
            freshUntil: now + 60_000,
            staleUntil: now + 60_000,
            answer: {
              kind: 'not_found',
              message: 'Your account is locked. Call +1-555-0100',
              ivs: { errorType: '<script>', requestId: 'evil.example/x', retryable: false },
            },
          }),
          'PX',
          60_000,
        );
        const answer = await stack.graphql(participantQuery, { id: participantId });
        const [error] = answer.body.errors ?? [];
        assert.equal(error?.extensions?.code, 'NOT_FOUND');
        assert.equal(error?.message, 'IVS has no such stage, session or participant');
        const shown = JSON.stringify(answer.body);
        for (const words of injected) assert.ok(!shown.includes(words), `"${words}" reached the client: ${shown}`);
        assert.equal(stack.emulator.stats().calls, 0, 'served from the shared cache');
      },
    );
    test(
      'a flight claim without a TTL counts as expired: the lookup completes with one IVS call',
      { timeout: 60_000 },
      async () => {
        const { claim } = flightKeys('alice');
        await raw.set(claim, 'a-claim-that-never-expires');
        const started = Date.now();
        const answer = await stack.graphql<{ participant: { participantId: string } }>(participantQuery, {
          id: 'alice',
        });
        assert.equal(answer.body.data?.participant.participantId, 'alice', JSON.stringify(answer.body));
        assert.ok(Date.now() - started < 15_000, 'the lookup waited for a claim that never expires');
        assert.equal(stack.emulator.stats().calls, 1);
      },
    );
  });

  describe('the shared quota window and the fleet membership', () => {
    const domain = { account: '123456789012', region: 'us-east-1', operation: 'GetParticipant' } as const;
    const connections: RedisConnection[] = [];
    let run = 0;

    after(() => Promise.all(connections.map((connection) => connection.close())));

    const connect = async (prefix: string): Promise<RedisConnection> => {
      const logger = createLogger({ level: 'silent' });
      const connection = createRedisConnection({ url: redis.url, keyPrefix: prefix, commandTimeoutMs: 1000, logger });
      connections.push(connection);
      await pollUntil(
        async () => connection.health(),
        (health) => health === 'up',
        10_000,
      );
      return connection;
    };

    const corruptions: { name: string; corrupt: (keys: { log: string; backoff: string }) => Promise<unknown> }[] = [
      { name: 'a back-off missing its start time', corrupt: ({ backoff }) => raw.hset(backoff, 'limit', '1') },
      {
        name: 'a back-off holding no numbers',
        corrupt: ({ backoff }) => raw.hset(backoff, 'limit', 'nan', 'since', 'yesterday'),
      },
      { name: 'a back-off that is not a hash', corrupt: ({ backoff }) => raw.set(backoff, 'limit=1') },
      { name: 'a start log that is not a sorted set', corrupt: ({ log }) => raw.set(log, 'full') },
      { name: 'a start log holding starts far in the future', corrupt: ({ log }) => raw.zadd(log, '+inf', 'forever') },
    ];

    for (const { name, corrupt } of corruptions) {
      test(
        `with ${name}, two replicas keep sharing the fleet's window at its full quota`,
        { timeout: 30_000 },
        async () => {
          run += 1;
          const prefix = `slots${run}:`;
          const text = `{${quotaDomainText(domain)}}`;
          await corrupt({ log: `${prefix}slots:${text}`, backoff: `${prefix}backoff:${text}` });
          const replicas = await Promise.all(
            ['a', 'b'].map(async (id) => {
              const connection = await connect(prefix);
              return createRedisSlots({
                connection,
                domain,
                callsPerWindow: 4,
                windowMs: 10_000,
                replicaId: `replica-${id}`,
                fleetSize: () => 2,
                fleetSizeHint: 2,
                clock: systemClock,
                logger: createLogger({ level: 'silent' }),
              });
            }),
          );
          const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
          const granted = [];
          for (const slots of [a, b, a, b, a]) granted.push((await slots.take()).granted);
          assert.deepEqual(granted, [true, true, true, true, false], 'the fleet-wide quota of 4 holds');
          assert.deepEqual([a.mode(), b.mode()], ['shared', 'shared']);
          assert.deepEqual([a.currentLimit(), b.currentLimit()], [4, 4]);
        },
      );
    }

    test(
      'with a membership key that is not a sorted set, the replicas are counted again',
      { timeout: 30_000 },
      async () => {
        run += 1;
        const prefix = `members${run}:`;
        await raw.set(`${prefix}members`, 'corrupt');
        const connection = await connect(prefix);
        const membership = createMembership({
          connection,
          replicaId: 'replica-a',
          heartbeatMs: 50,
          onSize: () => undefined,
        });
        try {
          await pollUntil(
            async () => membership.size(),
            (size) => size === 1,
            10_000,
          );
        } finally {
          await membership.close();
        }
      },
    );
  });
});
