import type { RedisConnection } from './connection.js';
import { redisScript } from './connection.js';

/** The replicas heartbeating into one Redis (under one key prefix). */
export interface Membership {
  /** Replicas seen at the last successful heartbeat, this one included; undefined before the first. */
  size(): number | undefined;
  /** Stops heartbeating and removes this replica, so the others count it out at once. */
  close(): Promise<void>;
}

export interface MembershipOptions {
  readonly connection: RedisConnection;
  readonly replicaId: string;
  readonly heartbeatMs: number;
  readonly onSize: (size: number) => void;
}

// Scores are expiry times on Redis's clock, so replicas' own clocks never matter. A key of another type,
// or an expiry far later than any replica sets, is not a replica's heartbeat: dropped, so the count stays true.
const heartbeat = redisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local found = redis.call('TYPE', KEYS[1]).ok
if found ~= 'zset' and found ~= 'none' then redis.call('DEL', KEYS[1]) end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '(' .. (now + 2 * tonumber(ARGV[2])), '+inf')
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return redis.call('ZCARD', KEYS[1])
`);

/** Heartbeats every `heartbeatMs`; a replica missing three beats is no longer counted. */
export function createMembership(options: MembershipOptions): Membership {
  const { connection, replicaId, heartbeatMs, onSize } = options;
  const key = connection.key('members');
  const expiryMs = heartbeatMs * 3;
  let size: number | undefined;

  const beat = (): void => {
    if (connection.health() !== 'up') return;
    connection.run(heartbeat, [key], [replicaId, expiryMs]).then(
      (count) => {
        size = Number(count);
        onSize(size);
      },
      // A missed beat keeps the last known size: degraded mode needs it most when Redis fails.
      () => undefined,
    );
  };
  const timer = setInterval(beat, heartbeatMs);
  timer.unref();
  connection.onHealthChange((health) => {
    if (health === 'up') beat();
  });
  beat();

  return {
    size: () => size,
    async close() {
      clearInterval(timer);
      if (connection.health() === 'up') await connection.client.zrem(key, replicaId).catch(() => undefined);
    },
  };
}
