import type { LiveOperation } from './liveKey.js';
import type { WatchChannel } from './watchChannel.js';
import { redisScript, type RedisConnection } from '../upstream/redis/connection.js';

export interface RedisWatchChannelOptions {
  readonly connection: RedisConnection;
  /** Unique per process: the lease's value, so a replica only renews and releases its own leases. */
  readonly replicaId: string;
  /** LIVE_LEASE_TTL_MS: a lease not renewed this long is free; renewed every third of it. */
  readonly leaseTtlMs: number;
}

// Renews the lease if it is ours, takes it if it is free; records the key as watched until now + ttl.
const claim = redisScript(`
local owner = redis.call('GET', KEYS[1])
local held = 0
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  held = 1
elseif not owner then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  held = 1
end
redis.call('ZADD', KEYS[2], tonumber(ARGV[3]) + tonumber(ARGV[2]), ARGV[4])
return held
`);
const release = redisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);
// Forgets keys nobody renewed, then counts the rest.
const count = redisScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZCARD', KEYS[1])
`);

interface Joined {
  readonly operation: LiveOperation;
  readonly onMessage: (message: string) => void;
  held: boolean;
  /** Set once the answer channel is subscribed; until then the renewal timer tries again. */
  unsubscribe?: () => void;
  subscribing: boolean;
}

/**
 * The fleet twin of the watch channel: a lease per watched key in Redis (taken over once its holder stops
 * renewing it), answers over pub/sub to every replica that watches the key, the fleet's count of watched
 * keys per operation for the pacing. While Redis is down, each replica refreshes what it watches itself.
 */
export function createRedisWatchChannel(options: RedisWatchChannelOptions): WatchChannel {
  const { connection, replicaId, leaseTtlMs } = options;
  const joined = new Map<string, Joined>();
  const fleetKeys = new Map<LiveOperation, number>();
  const eventListeners: ((message: string) => void)[] = [];
  const missedListeners: (() => void)[] = [];
  const eventsChannel = connection.key('live', 'events');
  const leaseKey = (text: string) => connection.key('live', 'lease', text);
  const watchedKey = (operation: LiveOperation) => connection.key('live', 'watched', operation);
  const answerChannel = (text: string) => connection.key('live', 'answer', text);

  const renew = async (text: string, entry: Joined): Promise<void> => {
    const now = Date.now();
    const held = await connection
      .run(claim, [leaseKey(text), watchedKey(entry.operation)], [replicaId, leaseTtlMs, now, text])
      .catch(() => undefined);
    if (held !== undefined && joined.get(text) === entry) entry.held = held === 1;
  };
  const renewAll = async (): Promise<void> => {
    if (connection.health() !== 'up') return;
    // A SUBSCRIBE can time out on a live connection (a busy replica): no reconnect would retry it.
    void subscribeEvents();
    for (const [text, entry] of joined) if (entry.unsubscribe === undefined) void subscribeAnswers(text, entry);
    await Promise.all([...joined].map(([text, entry]) => renew(text, entry)));
    for (const operation of ['GetParticipant', 'ListParticipants'] as const) {
      const keys = await connection.run(count, [watchedKey(operation)], [Date.now()]).catch(() => undefined);
      if (typeof keys === 'number') fleetKeys.set(operation, keys);
    }
  };
  const timer = setInterval(() => void renewAll(), Math.max(100, Math.floor(leaseTtlMs / 3)));
  timer.unref();

  // Our own messages come back on the channel; the envelope says whose they are.
  const unwrap = (raw: string): string | undefined => {
    try {
      const envelope = JSON.parse(raw) as { from?: unknown; message?: unknown };
      if (envelope.from === replicaId || typeof envelope.message !== 'string') return undefined;
      return envelope.message;
    } catch {
      return undefined;
    }
  };
  const wrap = (message: string) => JSON.stringify({ from: replicaId, message });

  let eventsSubscribed: Promise<unknown> | undefined;
  const subscribeEvents = () =>
    (eventsSubscribed ??= connection
      .subscribe(eventsChannel, (raw) => {
        const message = unwrap(raw);
        if (message !== undefined) eventListeners.forEach((listener) => listener(message));
      })
      .catch(() => (eventsSubscribed = undefined)));

  let wasUp = connection.health() === 'up';
  connection.onHealthChange((health) => {
    if (health !== 'up') {
      wasUp = false;
      return;
    }
    void subscribeEvents();
    // Back from an outage: the channels are subscribed again, and what was published meanwhile is lost.
    for (const [text, entry] of joined) resubscribe(text, entry);
    if (!wasUp) missedListeners.forEach((listener) => listener());
    wasUp = true;
    void renewAll();
  });

  const subscribeAnswers = async (text: string, entry: Joined): Promise<void> => {
    if (entry.subscribing) return;
    entry.subscribing = true;
    try {
      const unsubscribe = await connection.subscribe(answerChannel(text), (raw) => {
        const message = unwrap(raw);
        if (message !== undefined) entry.onMessage(message);
      });
      if (joined.get(text) === entry) entry.unsubscribe = unsubscribe;
      else unsubscribe();
    } catch {
      // Tried again by the renewal timer, or when Redis is back (onHealthChange).
    } finally {
      entry.subscribing = false;
    }
  };
  const resubscribe = (text: string, entry: Joined): void => {
    entry.unsubscribe?.();
    entry.unsubscribe = undefined;
    void subscribeAnswers(text, entry);
  };

  return {
    join(text, operation, onMessage) {
      const entry: Joined = { operation, onMessage, held: false, subscribing: false };
      joined.set(text, entry);
      void subscribeEvents();
      void subscribeAnswers(text, entry).then(() => renew(text, entry));
    },
    leave(text) {
      const entry = joined.get(text);
      if (entry === undefined) return;
      joined.delete(text);
      entry.unsubscribe?.();
      if (entry.held) void connection.run(release, [leaseKey(text)], [replicaId]).catch(() => undefined);
    },
    // Degraded (Redis down): everyone refreshes what they watch, as one process would.
    holds: (text) => {
      const entry = joined.get(text);
      return entry !== undefined && (entry.held || connection.health() !== 'up');
    },
    publish(text, message) {
      if (connection.health() !== 'up') return;
      connection.client.publish(answerChannel(text), wrap(message)).catch(() => undefined);
    },
    watchedKeys(operation) {
      const here = [...joined.values()].filter((entry) => entry.operation === operation).length;
      if (connection.health() !== 'up') return here;
      return Math.max(here, fleetKeys.get(operation) ?? 0);
    },
    publishEvent(message) {
      eventListeners.forEach((listener) => listener(message));
      if (connection.health() !== 'up') return;
      connection.client.publish(eventsChannel, wrap(message)).catch(() => undefined);
    },
    onEvent: (listener) => void eventListeners.push(listener),
    onMissed: (listener) => void missedListeners.push(listener),
    async close() {
      clearInterval(timer);
      const held = [...joined].filter(([, entry]) => entry.held).map(([text]) => text);
      for (const text of [...joined.keys()]) this.leave(text);
      await Promise.all(
        held.map((text) => connection.run(release, [leaseKey(text)], [replicaId]).catch(() => undefined)),
      );
    },
  };
}
