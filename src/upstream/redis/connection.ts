import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../../logger.js';
import { redactedUrl } from '../../redaction.js';

export type RedisHealth = 'up' | 'down';

/** A Lua script run with EVALSHA, loaded with EVAL the first time a server does not know it. */
export interface RedisScript {
  readonly lua: string;
  readonly sha: string;
}

/** Prepares a Lua script once at module load. */
export function redisScript(lua: string): RedisScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * The one Redis connection of a gateway process; the Redis twins (the redis*.ts files of src/upstream
 * and src/live) are its only users.
 * Commands fail fast (no offline queue, a short command timeout) so that a slow or absent Redis
 * costs a lookup at most one timeout before the caller falls back to its local behaviour.
 */
export interface RedisConnection {
  /** Commands; only for the Redis twins. */
  readonly client: Redis;
  /** `REDIS_KEY_PREFIX` plus `parts` joined by ':'; every key and channel goes through it. */
  key(...parts: string[]): string;
  health(): RedisHealth;
  /** Called on every transition (not per command); the connection logs transitions itself. */
  onHealthChange(listener: (health: RedisHealth) => void): void;
  run(script: RedisScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
  /**
   * Delivers messages on `channel` to `listener` until the returned function is called. Rejects when Redis does
   * not confirm the SUBSCRIBE in time, also on a live connection: the caller then tries again.
   */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => void>;
  /** Stops reconnecting and closes both sockets; safe to call twice. */
  close(): Promise<void>;
}

export interface RedisConnectionOptions {
  readonly url: string;
  readonly keyPrefix: string;
  readonly commandTimeoutMs: number;
  readonly logger: Logger;
}

// A channel's listeners here, and its SUBSCRIBE, which every listener that joins awaits.
interface Subscription {
  readonly listeners: Set<(message: string) => void>;
  readonly subscribed: Promise<unknown>;
}

// Reconnects forever, backing off to 2 s, so a restarted Redis is picked up within two seconds.
const retryStrategy = (attempt: number): number => Math.min(attempt * 100, 2000);

/** Connects in the background: an unreachable Redis is `down`, not an error, and is retried. */
export function createRedisConnection(options: RedisConnectionOptions): RedisConnection {
  const { url, keyPrefix, commandTimeoutMs, logger } = options;
  const settings = {
    commandTimeout: commandTimeoutMs,
    connectTimeout: Math.max(1000, commandTimeoutMs),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy,
  };
  const client = new Redis(url, settings);
  // Pub/sub needs its own socket: a subscribed connection accepts no other command.
  const subscriber = new Redis(url, settings);
  const subscriptions = new Map<string, Subscription>();
  const healthListeners: ((health: RedisHealth) => void)[] = [];
  let health: RedisHealth = 'down';
  let lastError: string | undefined;
  let closing = false;

  // What the log last said, so an outage is logged once, also when Redis was unreachable from the start.
  let announced: RedisHealth | undefined;
  const setHealth = (next: RedisHealth): void => {
    if (!closing && next !== announced && (next === 'up' || lastError !== undefined)) {
      announced = next;
      if (next === 'up')
        logger.info({ redis: redactedUrl(url) }, 'Redis connected: fleet-wide quota, cache and flight');
      else
        logger.warn({ redis: redactedUrl(url), reason: lastError }, 'Redis unreachable: degraded mode, reconnecting');
    }
    if (next === health) return;
    health = next;
    for (const listener of healthListeners) listener(next);
  };
  const refresh = (): void => setHealth(client.status === 'ready' && subscriber.status === 'ready' ? 'up' : 'down');
  // Scripts this connection has sent in full since it (re)connected: a restarted Redis knows none.
  const loaded = new Set<string>();
  client.on('ready', () => loaded.clear());
  for (const socket of [client, subscriber]) {
    socket.on('ready', refresh);
    socket.on('close', refresh);
    // ioredis reports every failed reconnect; the transition alone is logged.
    socket.on('error', (error: Error) => {
      lastError = error.message || error.name;
      refresh();
    });
  }
  subscriber.on('message', (channel: string, message: string) => {
    for (const listener of subscriptions.get(channel)?.listeners ?? []) listener(message);
  });

  return {
    client,
    key: (...parts) => `${keyPrefix}${parts.join(':')}`,
    health: () => health,
    onHealthChange: (listener) => void healthListeners.push(listener),

    async run(script, keys, args) {
      // The first run on a connection sends the script itself, so commands keep their order (an EVALSHA
      // refused with NOSCRIPT and sent again as EVAL would run after commands sent meanwhile).
      if (!loaded.has(script.sha)) {
        loaded.add(script.sha);
        return client.eval(script.lua, keys.length, ...keys, ...args);
      }
      try {
        return await client.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return client.eval(script.lua, keys.length, ...keys, ...args);
      }
    },

    async subscribe(channel, listener) {
      let subscription = subscriptions.get(channel);
      if (subscription === undefined) {
        subscription = { listeners: new Set(), subscribed: subscriber.subscribe(channel) };
        subscriptions.set(channel, subscription);
      }
      const current = subscription;
      current.listeners.add(listener);
      const unsubscribe = (): void => {
        current.listeners.delete(listener);
        if (current.listeners.size > 0 || subscriptions.get(channel) !== current) return;
        subscriptions.delete(channel);
        // Best effort: a failed UNSUBSCRIBE only leaves an idle subscription on the socket.
        subscriber.unsubscribe(channel).catch(() => undefined);
      };
      try {
        await current.subscribed;
      } catch (error) {
        // A SUBSCRIBE that timed out still reaches Redis: the UNSUBSCRIBE after it leaves no channel without listener.
        unsubscribe();
        throw error;
      }
      return unsubscribe;
    },

    async close() {
      if (closing) return;
      closing = true;
      const quit = async (socket: Redis): Promise<void> => {
        if (socket.status !== 'ready') return socket.disconnect();
        await socket.quit().catch(() => socket.disconnect());
      };
      await Promise.all([quit(client), quit(subscriber)]);
    },
  };
}
