import type { Logger } from '../../logger.js';
import type { Clock } from '../../clock.js';
import { quotaDomainText, type QuotaDomain } from './domain.js';
import { createLocalSlots, type SlotAnswer, type SlotSource } from './slots.js';
import { redisScript, type RedisConnection } from '../redis/connection.js';
import { localShare, resumeEntries, type StartBudget } from './localShare.js';

export type SlotsMode = 'shared' | 'local';

export interface RedisSlotsOptions {
  readonly connection: RedisConnection;
  readonly domain: QuotaDomain;
  /** The fleet-wide quota: calls allowed to start in any sliding window of `windowMs`. */
  readonly callsPerWindow: number;
  readonly windowMs: number;
  /** After IVS throttles, the limit climbs back by one call every this many ms; default 2000. */
  readonly recoveryStepMs?: number;
  /** Unique per process; names this replica's entries in the shared log. */
  readonly replicaId: string;
  /** Last fleet size seen in Redis, if any. */
  readonly fleetSize: () => number | undefined;
  /** Used for the local share by a replica that never saw the fleet. */
  readonly fleetSizeHint: number;
  /** How often a replica in local mode tries Redis again; default 1000. */
  readonly probeMs?: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onMode?: (mode: SlotsMode) => void;
}

/**
 * One sliding log per quota domain, shared by every replica. The script reads Redis's clock, drops
 * starts older than the window, applies the shared back-off, and either records the start or says
 * when the start that blocks will leave the window (or the next recovery step comes).
 * ARGV: action (take | resume | throttled), limit, windowMs, recoveryStepMs, member,
 * then for resume: how many placeholders at most, and the ages in ms of this replica's starts.
 * Returns { granted (1|0), retryInMs, current limit }.
 */
export const slotsScript = redisScript(`
local log, backoff = KEYS[1], KEYS[2]
local action, base, window, step = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local member = ARGV[5]
local t = redis.call('TIME')
-- Milliseconds with the microseconds as a fraction: scores are doubles, and truncating would let a start
-- in 1 ms early.
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
-- The script is total over what it finds: a key of another type, a back-off missing a field or holding
-- no finite number, or a start dated a window ahead is not what replicas write, and counts as absent.
local function finite(value)
  local n = tonumber(value)
  if n and n == n and n > -math.huge and n < math.huge then return n end
  return nil
end
local function ensureType(key, wanted)
  local found = redis.call('TYPE', key).ok
  if found ~= wanted and found ~= 'none' then redis.call('DEL', key) end
end
ensureType(log, 'zset')
ensureType(backoff, 'hash')
redis.call('ZREMRANGEBYSCORE', log, '(' .. (now + window), '+inf')
local limit, since = base, nil
local reduced = redis.call('HMGET', backoff, 'limit', 'since')
local reducedLimit, reducedSince = finite(reduced[1]), finite(reduced[2])
if reducedLimit and reducedSince and reducedSince <= now then
  since = reducedSince
  limit = math.max(1, math.floor(reducedLimit) + math.floor((now - since) / step))
  if limit >= base then
    limit, since = base, nil
    redis.call('DEL', backoff)
  end
elseif reduced[1] or reduced[2] then
  redis.call('DEL', backoff)
end
if action == 'throttled' then
  -- Calls already in flight when IVS pushed back report the same overload: halve once per window.
  if since and now - since < window then return {0, 0, limit} end
  local next = math.max(1, math.floor(limit / 2))
  redis.call('HSET', backoff, 'limit', next, 'since', now)
  redis.call('PEXPIRE', backoff, (base - next + 1) * step + window)
  return {0, 0, next}
end
redis.call('ZREMRANGEBYSCORE', log, '-inf', now - window)
if action == 'resume' then
  for i = 7, #ARGV do
    redis.call('ZADD', log, now - tonumber(ARGV[i]), member .. ':r' .. i)
  end
  local room = limit - redis.call('ZCARD', log)
  for i = 1, math.min(tonumber(ARGV[6]), room) do
    redis.call('ZADD', log, now, member .. ':p' .. i)
  end
end
local count = redis.call('ZCARD', log)
if count < limit then
  redis.call('ZADD', log, now, member)
  redis.call('PEXPIRE', log, window)
  return {1, 0, limit}
end
local blocking = redis.call('ZRANGE', log, count - limit, count - limit, 'WITHSCORES')
local freeAt = tonumber(blocking[2]) + window
if since then
  freeAt = math.min(freeAt, since + (math.floor((now - since) / step) + 1) * step)
end
return {0, math.max(1, math.ceil(freeAt - now)), limit}
`);

// Failed takes in a row, on a connection that is up, before a replica switches to its local share.
const slowRepliesBeforeLocal = 3;
const slowRetryMs = 50;

/** A replica's state while Redis cannot coordinate the fleet. */
interface LocalMode {
  readonly slots: SlotSource;
  readonly share: StartBudget;
  readonly fleetSize: number;
  /** No local start before this: the fleet's last shared starts must leave the window first. */
  readonly quietUntil: number;
  probeAt: number;
  /** This replica's local starts inside the window (moved to their end once ended), replayed into Redis on resume. */
  readonly starts: { at: number }[];
}

/** Moves one logged start to Redis's current time, if it is still in the log (a call that ended). */
const restampScript = redisScript(`
if redis.call('TYPE', KEYS[1]).ok ~= 'zset' then return 0 end
local t = redis.call('TIME')
return redis.call('ZADD', KEYS[1], 'XX', tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000, ARGV[1])
`);

/**
 * A SlotSource enforced for the whole fleet in Redis. When the connection drops, or Redis stays slow
 * for three takes in a row, the replica switches to a local limiter at its share of the quota (see
 * localShare), after one quiet window so its local starts never overlap the fleet's last shared ones;
 * when Redis answers again it writes its recent starts (and placeholders for the others') into the
 * shared log before taking.
 */
export function createRedisSlots(options: RedisSlotsOptions): SlotSource & { mode(): SlotsMode } {
  const { connection, callsPerWindow, windowMs, replicaId, clock, logger } = options;
  const recoveryStepMs = options.recoveryStepMs ?? 2000;
  const probeMs = options.probeMs ?? 1000;
  const domainText = quotaDomainText(options.domain);
  const keys = [connection.key('slots', `{${domainText}}`), connection.key('backoff', `{${domainText}}`)];
  let sequence = 0;
  let slowReplies = 0;
  let sharedLimit = callsPerWindow;
  let local: LocalMode | undefined;

  const call = async (action: 'take' | 'resume' | 'throttled', extra: readonly number[] = []): Promise<SlotAnswer> => {
    sequence += 1;
    const member = `${replicaId}:${sequence}`;
    const reply = (await connection.run(slotsScript, keys, [
      action,
      callsPerWindow,
      windowMs,
      recoveryStepMs,
      member,
      ...extra,
    ])) as [number, number, number];
    sharedLimit = Number(reply[2]);
    if (reply[0] !== 1) return { granted: false, retryInMs: Number(reply[1]) };
    // IVS counts the call when it arrives, some time before its answer: at its end the start moves to then,
    // on Redis's clock, so a call that was slow to leave this replica cannot land beside the others' next ones.
    const ended = (): void => void connection.run(restampScript, [keys[0] as string], [member]).catch(() => undefined);
    return { granted: true, slot: { ended } };
  };

  const enterLocal = (error: unknown): LocalMode => {
    const seen = options.fleetSize();
    const fleetSize = seen ?? options.fleetSizeHint;
    const share = localShare({ callsPerWindow, windowMs }, fleetSize);
    const now = clock.now();
    const state: LocalMode = {
      slots: createLocalSlots({ ...share, recoveryStepMs, clock }),
      share,
      fleetSize,
      quietUntil: now + windowMs,
      probeAt: now + probeMs,
      starts: [],
    };
    local = state;
    logger.warn(
      {
        quotaDomain: domainText,
        fleetSize,
        fleetSizeFrom: seen === undefined ? 'REDIS_FLEET_SIZE_HINT' : 'last heartbeat',
        localCallsPerWindow: share.callsPerWindow,
        localWindowMs: share.windowMs,
        reason: error instanceof Error ? error.message : String(error),
      },
      'shared quota unavailable: this replica keeps to its local share of the quota',
    );
    options.onMode?.('local');
    return state;
  };

  const takeLocal = async (state: LocalMode): Promise<SlotAnswer> => {
    const now = clock.now();
    if (now < state.quietUntil) return { granted: false, retryInMs: Math.ceil(state.quietUntil - now) };
    const answer = await state.slots.take();
    if (!answer.granted) return answer;
    const start = { at: now };
    state.starts.push(start);
    while (state.starts.length > 0 && now - (state.starts[0]?.at ?? now) >= windowMs) state.starts.shift();
    return {
      granted: true,
      slot: {
        ended() {
          start.at = clock.now();
          answer.slot.ended();
        },
      },
    };
  };

  const tryResume = async (state: LocalMode): Promise<SlotAnswer | undefined> => {
    const now = clock.now();
    state.probeAt = now + probeMs;
    const { ages, othersMax } = resumeEntries(
      state.starts.map((start) => start.at),
      now,
      windowMs,
      state.share,
      state.fleetSize,
    );
    try {
      const answer = await call('resume', [othersMax, ...ages]);
      local = undefined;
      logger.info({ quotaDomain: domainText, replayed: ages.length }, 'shared quota resumed');
      options.onMode?.('shared');
      return answer;
    } catch {
      return undefined;
    }
  };

  return {
    async take() {
      if (local !== undefined) {
        const state = local;
        const resumed =
          connection.health() === 'up' && clock.now() >= state.probeAt ? await tryResume(state) : undefined;
        return resumed ?? takeLocal(state);
      }
      try {
        const answer = await call('take');
        slowReplies = 0;
        return answer;
      } catch (error) {
        // A late reply on a live connection is often the event loop's lag, not Redis's: the other replicas
        // most likely still share the window, so this one only falls back when Redis stays slow.
        slowReplies += 1;
        if (connection.health() === 'up' && slowReplies < slowRepliesBeforeLocal) {
          return { granted: false, retryInMs: slowRetryMs };
        }
        slowReplies = 0;
        return takeLocal(enterLocal(error));
      }
    },

    reportThrottled() {
      if (local !== undefined) return local.slots.reportThrottled();
      call('throttled').catch(() => undefined);
    },

    currentLimit: () => (local === undefined ? sharedLimit : local.slots.currentLimit()),
    mode: () => (local === undefined ? 'shared' : 'local'),
  };
}
