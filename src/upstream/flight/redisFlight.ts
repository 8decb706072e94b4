import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, LookupError } from '../../errors.js';
import type { Flight, FlightWork } from './flight.js';
import { redisScript, type RedisConnection } from '../redis/connection.js';
import { encodeFlightNotice, parseFlightNotice, type FlightNotice, type FlightOutcome } from './flightNotice.js';

export interface RedisFlightOptions<T> {
  readonly connection: RedisConnection;
  /** This process's flight; the shared one runs inside it, so a replica claims each key once. */
  readonly local: Flight<T>;
  /** A claim not refreshed for this long expires, so a dead or stalled holder frees the key. */
  readonly claimTtlMs: number;
  /** Unique per process; the claim's value, so a replica only ever releases its own claims. */
  readonly replicaId: string;
}

/**
 * Claims the key (-1), or returns the claim's remaining ms. Every replica's claim has a TTL, so one without
 * (left by a bug or written by hand) would make waiters spin until their deadline: it counts as expired.
 */
const claim = redisScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return -1 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return -1
end
return ttl
`);
// A key of another type is not this replica's claim (and GET on it would be a Lua error).
const release = redisScript(`
if redis.call('TYPE', KEYS[1]).ok == 'string' and redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);
const refresh = redisScript(`
if redis.call('TYPE', KEYS[1]).ok == 'string' and redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);

/**
 * One upstream call per key across the fleet. The local leader claims the key in Redis (SET NX PX);
 * a replica that finds it claimed subscribes to the key's channel first, so the holder's notice
 * cannot slip between the two, then waits for the notice, the claim's expiry, or its own deadline.
 * A settled call is read from the shared cache; a failure is rebuilt from the notice's allow-list (see
 * flightNotice.ts). Without Redis, each replica calls on its own: Redis errors never fail a lookup.
 */
export function createRedisFlight<T>(options: RedisFlightOptions<T>): Flight<T> & { close(): Promise<void> } {
  const { connection, local, claimTtlMs, replicaId } = options;
  const { client } = connection;
  const held = new Set<string>();

  const hold = async (claimKey: string, channel: string, work: FlightWork<T>): Promise<T> => {
    held.add(claimKey);
    // While the call waits for quota and retries, the holder keeps its claim alive; a frozen one cannot.
    const keepAlive = setInterval(
      () => void connection.run(refresh, [claimKey], [replicaId, claimTtlMs]).catch(() => undefined),
      Math.max(1, Math.floor(claimTtlMs / 3)),
    );
    keepAlive.unref();
    const finish = async (notice: FlightOutcome): Promise<void> => {
      clearInterval(keepAlive);
      // The notice goes out before the claim is released, so a waiter never claims a key just settled.
      await client.publish(channel, encodeFlightNotice(notice)).catch(() => undefined);
      await connection.run(release, [claimKey], [replicaId]).catch(() => undefined);
      held.delete(claimKey);
    };
    try {
      const value = await work.start();
      await finish({ outcome: 'settled' });
      return value;
    } catch (error) {
      await finish({ outcome: 'failed', error });
      throw error;
    }
  };

  const waitForHolder = async (channel: string, claimKey: string, signal: AbortSignal) => {
    let heard: (notice: FlightNotice) => void = () => undefined;
    const notice = new Promise<FlightNotice>((resolve) => (heard = resolve));
    const unsubscribe = await connection.subscribe(channel, (message) => {
      const notice = parseFlightNotice(message);
      if (notice !== undefined) heard(notice);
    });
    try {
      const ttlMs = Number(await connection.run(claim, [claimKey], [replicaId, claimTtlMs]));
      if (ttlMs < 0) return 'claimed' as const;
      const stop = new AbortController();
      // Waits until the claim would expire, unless the notice comes first or the waiter's deadline passes.
      const expiry = sleep(Math.max(0, ttlMs), 'expired' as const, {
        signal: AbortSignal.any([stop.signal, signal]),
      }).catch(() => 'aborted' as const);
      try {
        return await Promise.race([notice, expiry]);
      } finally {
        stop.abort();
      }
    } finally {
      unsubscribe();
    }
  };

  const lead = async (key: string, work: FlightWork<T>): Promise<T> => {
    const claimKey = connection.key('flight', key);
    const channel = connection.key('flight-done', key);
    let slowReplies = 0;
    for (;;) {
      let outcome: Awaited<ReturnType<typeof waitForHolder>>;
      try {
        outcome = await waitForHolder(channel, claimKey, work.signal);
      } catch {
        // One late reply on a live connection is tried again; otherwise this replica calls on its own.
        slowReplies += 1;
        if (connection.health() === 'up' && slowReplies < 2 && !work.signal.aborted) continue;
        return work.start();
      }
      if (outcome === 'claimed') return hold(claimKey, channel, work);
      if (outcome === 'aborted') {
        throw new LookupError(
          ErrorCode.UPSTREAM_TIMEOUT,
          'The lookup ran out of time while another gateway replica was calling IVS for it',
        );
      }
      if (outcome !== 'expired' && outcome.outcome === 'failed') {
        throw outcome.error;
      }
      // Settled, or the claim went away (released, or its holder died): what it left, else claim the key.
      const settled = await work.settledElsewhere();
      if (settled !== undefined) return settled;
    }
  };

  return {
    run: (key, work) => local.run(key, { ...work, start: () => lead(key, work) }),
    async close() {
      await Promise.all(
        [...held].map((claimKey) => connection.run(release, [claimKey], [replicaId]).catch(() => undefined)),
      );
      held.clear();
    },
  };
}
