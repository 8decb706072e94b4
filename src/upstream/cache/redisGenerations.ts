import type { Logger } from '../../logger.js';
import type { StageGenerations } from './invalidation.js';
import type { RedisConnection } from '../redis/connection.js';

// A failed catch-up on a live connection is tried again this much later.
const retryMs = 1000;

/**
 * The fleet's stage generations (src/upstream/cache/invalidation.ts): a Redis hash `<prefix>generations`
 * (stage ARN → generation, HINCRBY) and a channel `<prefix>generations` announcing each bump as
 * `<generation> <stageArn>`. Each replica keeps the highest generation it has seen per stage; on every
 * (re)connect it subscribes, then reads the whole hash, so a bump it missed while Redis was away is learned
 * then; a failed attempt is tried again a second later. With Redis down a bump moves only this replica's
 * generation (its near copies are what it serves).
 */
export function createRedisGenerations(connection: RedisConnection, logger: Logger): StageGenerations {
  const hash = connection.key('generations');
  const channel = connection.key('generations');
  const known = new Map<string, number>();
  const listeners: ((stageArn: string) => void)[] = [];
  let unsubscribe: (() => void) | undefined;
  let closed = false;

  const learn = (stageArn: string, generation: number): void => {
    if (generation <= (known.get(stageArn) ?? 0)) return;
    known.set(stageArn, generation);
    listeners.forEach((listener) => listener(stageArn));
  };

  const onMessage = (message: string): void => {
    const space = message.indexOf(' ');
    const generation = Number(message.slice(0, space));
    if (space > 0 && Number.isInteger(generation)) learn(message.slice(space + 1), generation);
  };

  let catchingUp: Promise<void> | undefined;
  const readAll = async (): Promise<void> => {
    if (closed || connection.health() !== 'up') return;
    try {
      unsubscribe ??= await connection.subscribe(channel, onMessage);
      const all = await connection.client.hgetall(hash);
      for (const [stageArn, generation] of Object.entries(all)) learn(stageArn, Number(generation));
    } catch (error) {
      logger.warn({ err: error }, 'stage generations could not be read from Redis; retried in a second');
      // A reply can time out on a live connection, where no reconnect would retry it.
      setTimeout(() => void catchUp(), retryMs).unref();
    }
  };
  const catchUp = (): Promise<void> => (catchingUp ??= readAll().finally(() => (catchingUp = undefined)));
  connection.onHealthChange((health) => {
    if (health === 'up') void catchUp();
  });
  void catchUp();

  return {
    of: (stageArn) => known.get(stageArn) ?? 0,
    async bump(stageArn) {
      try {
        if (connection.health() !== 'up') throw new Error('Redis is down');
        const generation = await connection.client.hincrby(hash, stageArn, 1);
        learn(stageArn, generation);
        await connection.client.publish(channel, `${generation} ${stageArn}`);
      } catch (error) {
        logger.warn({ err: error, stageArn }, 'stage invalidation reached this replica only: Redis failed');
        learn(stageArn, (known.get(stageArn) ?? 0) + 1);
      }
    },
    onBump: (listener) => void listeners.push(listener),
    async close() {
      closed = true;
      unsubscribe?.();
    },
  };
}
