import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { GetParticipant } from '../../src/ivs/operations/getParticipant.js';
import { GetStage } from '../../src/ivs/operations/getStage.js';
import { createRedisGenerations } from '../../src/upstream/cache/redisGenerations.js';
import {
  createLocalGenerations,
  generationalKeyText,
  type StageGenerations,
} from '../../src/upstream/cache/invalidation.js';
import { pollUntil } from '../helpers/poll.js';
import { useRedisForTests } from '../helpers/redis.js';

const stageA = 'arn:aws:ivs:us-east-1:123456789012:stage/A';
const stageB = 'arn:aws:ivs:us-east-1:123456789012:stage/B';
const logger = createLogger({ level: 'silent' });

const redis = useRedisForTests({ commandTimeoutMs: 500 });

/** Replicas of one implementation: `replicas(2)` share state the way that implementation shares it. */
const implementations: Record<string, () => (count: number) => Promise<StageGenerations[]>> = {
  memory: () => {
    // One process: every user of the generations holds the same object.
    const shared = createLocalGenerations();
    return async (count) => Array.from({ length: count }, () => shared);
  },
  redis: () => {
    const keyPrefix = redis.freshPrefix('g');
    let subscribed = 0;
    return async (count) => {
      const replicas: StageGenerations[] = [];
      for (let i = 0; i < count; i++) {
        const connection = await redis.connect(keyPrefix);
        replicas.push(createRedisGenerations(connection, logger));
        subscribed += 1;
        // Once subscribed, a bump of another replica reaches this one.
        await pollUntil(
          async () => (await connection.client.pubsub('NUMSUB', connection.key('generations'))) as [string, number],
          ([, listeners]) => listeners >= subscribed,
          2000,
        );
      }
      return replicas;
    };
  },
};

for (const [name, implementation] of Object.entries(implementations)) {
  describe(`stage generations (${name})`, () => {
    test('a bump moves only its stage, and every replica sees it', async () => {
      const [a, b] = await implementation()(2);
      assert.ok(a && b);
      assert.equal(a.of(stageA), 0);
      const heard: string[] = [];
      b.onBump((stageArn) => heard.push(stageArn));
      await a.bump(stageA);
      assert.equal(a.of(stageA), 1);
      await pollUntil(
        async () => b.of(stageA),
        (generation) => generation === 1,
        2000,
      );
      assert.equal(b.of(stageB), 0);
      assert.deepEqual(heard, [stageA]);
    });

    test('a replica that starts after a bump starts from the fleet generation', async () => {
      const replicas = implementation();
      const [first] = await replicas(1);
      assert.ok(first);
      await first.bump(stageB);
      await first.bump(stageB);
      const [late] = await replicas(1);
      assert.ok(late);
      await pollUntil(
        async () => late.of(stageB),
        (generation) => generation === 2,
        2000,
      );
    });

    test('generational keys change with the stage generation, for participant-bound operations only', async () => {
      const [generations] = await implementation()(1);
      assert.ok(generations);
      const participant = generationalKeyText(
        { keyText: (key: string) => key, stageArnOf: () => stageA, generational: GetParticipant.generational },
        generations,
      );
      const stage = generationalKeyText(
        { keyText: (key: string) => key, stageArnOf: () => stageA, generational: GetStage.generational },
        generations,
      );
      const before = participant('alice');
      await generations.bump(stageA);
      assert.notEqual(participant('alice'), before);
      assert.equal(stage('x'), 'x');
    });
  });
}
