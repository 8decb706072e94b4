import { eventIdMemoryMs, type SeenEventIds } from './seenEventIds.js';
import type { RedisConnection } from '../upstream/redis/connection.js';

/**
 * The fleet's memory of event ids: `SET <prefix>events:seen:<id> 1 NX EX 86400`, so of two replicas
 * given the same event only the first to set the key processes it. This replica's own memory is asked
 * first (a repeat here costs no command) and is what remains while Redis is down: an outage can let a
 * duplicate through on another replica, never lose an event or fail the request.
 */
export function createRedisEventIds(connection: RedisConnection, local: SeenEventIds): SeenEventIds {
  const ttlSeconds = eventIdMemoryMs / 1000;
  return {
    async firstSighting(id) {
      if (!(await local.firstSighting(id))) return false;
      if (connection.health() !== 'up') return true;
      try {
        const set = await connection.client.set(connection.key('events', 'seen', id), '1', 'EX', ttlSeconds, 'NX');
        return set === 'OK';
      } catch {
        return true;
      }
    },
  };
}
