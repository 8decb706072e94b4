import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { createLocalEventIds, type SeenEventIds } from '../../src/live/seenEventIds.js';
import { createLocalWatchChannel, type WatchChannel } from '../../src/live/watchChannel.js';
import { createLogger } from '../../src/logger.js';
import type { RedisConnection } from '../../src/upstream/redis/connection.js';
import { createRedisEventIds } from '../../src/live/redisSeenEventIds.js';
import { createRedisFlight } from '../../src/upstream/flight/redisFlight.js';
import { createRedisSlots } from '../../src/upstream/quota/redisSlots.js';
import { createRedisStore } from '../../src/upstream/cache/redisStore.js';
import { createRedisWatchChannel } from '../../src/live/redisWatchChannel.js';
import { systemClock } from '../../src/clock.js';
import { createLocalFlight, type Flight } from '../../src/upstream/flight/flight.js';
import { createMemoryStore } from '../../src/upstream/cache/memoryStore.js';
import { createLocalSlots, type SlotSource } from '../../src/upstream/quota/slots.js';
import { pollUntil } from '../helpers/poll.js';
import { useRedisForTests } from '../helpers/redis.js';

// Each interface with a local and a Redis twin runs one table of cases against both: what a caller relies on
// holds whichever the gateway was configured with. The stage generations' table is stage-generations.test.ts.

/** `replicas(n)`: n users of the interface, sharing state as that twin shares it (one process, or one Redis). */
interface Twin<T> {
  readonly name: 'memory' | 'redis';
  make(): Promise<(count: number) => Promise<T[]>>;
}

const logger = createLogger({ level: 'silent' });
const redis = useRedisForTests({ commandTimeoutMs: 1000 });
const { connect } = redis;

/** The memory twin: every user of one process holds the same object. */
function oneProcess<T>(create: () => T): Twin<T>['make'] {
  return async () => {
    const shared = create();
    return async (count) => Array.from({ length: count }, () => shared);
  };
}

/** The Redis twin: one connection per replica, under a key prefix of its own per table case. */
function replicasOnRedis<T>(create: (connection: RedisConnection, replicaId: string) => T): Twin<T>['make'] {
  return async () => {
    const keyPrefix = redis.freshPrefix('twins');
    let replicaCount = 0;
    return async (count) => {
      const made: T[] = [];
      for (let i = 0; i < count; i++) made.push(create(await connect(keyPrefix), `replica-${replicaCount++}`));
      return made;
    };
  };
}

describe('seen event ids', () => {
  const twins: Twin<SeenEventIds>[] = [
    { name: 'memory', make: oneProcess(() => createLocalEventIds()) },
    {
      name: 'redis',
      make: replicasOnRedis((connection) => createRedisEventIds(connection, createLocalEventIds())),
    },
  ];
  for (const twin of twins) {
    describe(twin.name, () => {
      test('an id is a first sighting once, and a repeat ever after', { timeout: 10_000 }, async () => {
        const [ids] = await (await twin.make())(1);
        assert.ok(ids);
        assert.deepEqual(
          [await ids.firstSighting('a'), await ids.firstSighting('a'), await ids.firstSighting('b')],
          [true, false, true],
        );
      });

      test('the same id given to two replicas is processed by one', { timeout: 10_000 }, async () => {
        const [first, second] = await (await twin.make())(2);
        assert.ok(first && second);
        const sightings = await Promise.all([first.firstSighting('event-1'), second.firstSighting('event-1')]);
        assert.deepEqual(sightings.sort(), [false, true]);
      });
    });
  }
});

/** The answer store's contract in text: the memory twin holds objects, the Redis twin strings. */
interface TextStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, text: string, ttlSeconds?: number): Promise<void>;
  delete(key: string): Promise<unknown>;
}

function memoryTextStore(store: KeyValueCache<{ text: string }>): TextStore {
  return {
    get: async (key) => (await store.get(key))?.text,
    set: (key, text, ttl) => store.set(key, { text }, { ttl }),
    delete: (key) => store.delete(key),
  };
}

function redisTextStore(store: KeyValueCache<string>): TextStore {
  return {
    get: (key) => store.get(key),
    set: (key, text, ttl) => store.set(key, text, { ttl }),
    delete: (key) => store.delete(key),
  };
}

describe('answer store', () => {
  const twins: Twin<TextStore>[] = [
    {
      name: 'memory',
      make: oneProcess(() => memoryTextStore(createMemoryStore({ maxEntries: 100, maxBytes: 100_000 }))),
    },
    { name: 'redis', make: replicasOnRedis((connection) => redisTextStore(createRedisStore(connection))) },
  ];
  for (const twin of twins) {
    describe(twin.name, () => {
      test('a value stored by one replica is read by every replica until deleted', { timeout: 10_000 }, async () => {
        const [writer, reader] = await (await twin.make())(2);
        assert.ok(writer && reader);
        assert.equal(await reader.get('k'), undefined);
        await writer.set('k', 'answer');
        assert.deepEqual([await writer.get('k'), await reader.get('k')], ['answer', 'answer']);
        await reader.delete('k');
        assert.deepEqual([await writer.get('k'), await reader.get('k')], [undefined, undefined]);
      });

      test('a value with a ttl is gone once the ttl has passed', { timeout: 10_000 }, async () => {
        const [store] = await (await twin.make())(1);
        assert.ok(store);
        await store.set('short', 'answer', 0.2);
        await store.set('long', 'answer', 60);
        await pollUntil(
          () => store.get('short'),
          (text) => text === undefined,
          3000,
        );
        assert.equal(await store.get('long'), 'answer');
      });
    });
  }
});

describe('flight', () => {
  const twins: Twin<Flight<string>>[] = [
    { name: 'memory', make: oneProcess(() => createLocalFlight<string>()) },
    {
      name: 'redis',
      make: replicasOnRedis((connection, replicaId) =>
        createRedisFlight<string>({ connection, local: createLocalFlight<string>(), claimTtlMs: 2000, replicaId }),
      ),
    },
  ];

  /** An upstream call that takes `callMs`, and what it left in the shared cache for waiters of other replicas. */
  const upstream = (outcome: 'answer' | 'failure', callMs = 300) => {
    let calls = 0;
    let left: string | undefined;
    const work = {
      async start() {
        calls += 1;
        await delay(callMs);
        if (outcome === 'failure') throw new Error('IVS failed');
        left = `answer ${calls}`;
        return left;
      },
      settledElsewhere: async () => left,
      signal: new AbortController().signal,
    };
    return { work, calls: () => calls };
  };

  for (const twin of twins) {
    describe(twin.name, () => {
      test(
        'lookups of one key at once, on any replica, make one call and share its answer',
        { timeout: 10_000 },
        async () => {
          const [first, second] = await (await twin.make())(2);
          assert.ok(first && second);
          const { work, calls } = upstream('answer');
          const results = await Promise.all([first.run('k', work).result, second.run('k', work).result]);
          assert.deepEqual(results, ['answer 1', 'answer 1']);
          assert.equal(calls(), 1);
        },
      );

      test('a key is called again once its call has ended: a flight is not a cache', { timeout: 10_000 }, async () => {
        const [first, second] = await (await twin.make())(2);
        assert.ok(first && second);
        const { work, calls } = upstream('answer', 10);
        assert.equal(await first.run('k', work).result, 'answer 1');
        assert.equal(await second.run('k', work).result, 'answer 2');
        assert.equal(calls(), 2);
      });

      test('a failed call fails every lookup that waited for it', { timeout: 10_000 }, async () => {
        const [first, second] = await (await twin.make())(2);
        assert.ok(first && second);
        const { work, calls } = upstream('failure');
        const outcomes = await Promise.allSettled([first.run('k', work).result, second.run('k', work).result]);
        assert.deepEqual(
          outcomes.map((outcome) => outcome.status),
          ['rejected', 'rejected'],
        );
        assert.equal(calls(), 1);
      });
    });
  }
});

describe('watch channel', () => {
  const leaseTtlMs = 900;
  const twins: Twin<WatchChannel>[] = [
    { name: 'memory', make: oneProcess(() => createLocalWatchChannel()) },
    {
      name: 'redis',
      make: replicasOnRedis((connection, replicaId) => createRedisWatchChannel({ connection, replicaId, leaseTtlMs })),
    },
  ];
  for (const twin of twins) {
    describe(twin.name, () => {
      test('a key joined here is held here, and no longer once left', { timeout: 10_000 }, async () => {
        const [channel] = await (await twin.make())(1);
        assert.ok(channel);
        assert.equal(channel.holds('k'), false);
        channel.join('k', 'ListParticipants', () => undefined);
        await pollUntil(
          async () => channel.holds('k'),
          (held) => held,
          5000,
        );
        channel.leave('k');
        assert.equal(channel.holds('k'), false);
        await channel.close();
      });

      test('the watched keys are counted per operation', { timeout: 10_000 }, async () => {
        const [channel] = await (await twin.make())(1);
        assert.ok(channel);
        channel.join('a', 'ListParticipants', () => undefined);
        channel.join('b', 'ListParticipants', () => undefined);
        channel.join('c', 'GetParticipant', () => undefined);
        assert.deepEqual([channel.watchedKeys('ListParticipants'), channel.watchedKeys('GetParticipant')], [2, 1]);
        await channel.close();
      });

      test('a stage event reaches every replica, the sender included', { timeout: 10_000 }, async () => {
        const replicas = await (await twin.make())(2);
        const received = replicas.map((replica) => {
          const events: string[] = [];
          replica.onEvent((message) => events.push(message));
          // A replica listens for events once it watches something.
          replica.join('k', 'GetParticipant', () => undefined);
          return events;
        });
        await pollUntil(
          async () => {
            replicas[0]?.publishEvent('event');
            return received;
          },
          (lists) => lists.every((events) => events.includes('event')),
          5000,
        );
        await Promise.all(replicas.map((replica) => replica.close()));
      });
    });
  }
});

describe('start slots', () => {
  const domain = { account: '123456789012', region: 'us-east-1', operation: 'GetParticipant' } as const;
  // A slow recovery, so the halved limit still holds when a loaded runner gets to the next starts.
  const limits = { callsPerWindow: 5, windowMs: 1000, recoveryStepMs: 10_000, clock: systemClock };
  const twins: Twin<SlotSource>[] = [
    { name: 'memory', make: oneProcess(() => createLocalSlots(limits)) },
    {
      name: 'redis',
      make: replicasOnRedis((connection, replicaId) =>
        createRedisSlots({
          ...limits,
          connection,
          domain,
          replicaId,
          fleetSize: () => undefined,
          fleetSizeHint: 2,
          probeMs: 0,
          logger,
        }),
      ),
    },
  ];
  for (const twin of twins) {
    describe(twin.name, () => {
      test(
        'replicas share one window: the sixth start is refused with the time until the first leaves',
        { timeout: 20_000 },
        async () => {
          const [a, b] = await (await twin.make())(2);
          assert.ok(a && b);
          const answers = [];
          for (const slots of [a, b, a, b, a]) answers.push((await slots.take()).granted);
          assert.deepEqual(answers, Array(5).fill(true));
          const refused = await b.take();
          assert.equal(refused.granted, false);
          assert.ok(!refused.granted && refused.retryInMs > 0 && refused.retryInMs <= 1000, JSON.stringify(refused));
        },
      );

      test(
        'after IVS throttles one replica, every replica is held to half the limit',
        { timeout: 20_000 },
        async () => {
          const [a, b] = await (await twin.make())(2);
          assert.ok(a && b);
          a.reportThrottled();
          await pollUntil(
            async () => a.currentLimit(),
            (limit) => limit === 2,
            5000,
          );
          const answers = [];
          for (const slots of [b, a, b]) answers.push((await slots.take()).granted);
          assert.deepEqual(answers, [true, true, false]);
          assert.equal(b.currentLimit(), 2);
        },
      );
    });
  }
});
