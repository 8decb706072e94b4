import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, before } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { createRedisConnection, type RedisConnection } from '../../src/upstream/redis/connection.js';
import { pollUntil } from './poll.js';

/** A real redis-server of its own, on a free loopback port, without persistence. */
export interface RedisServer {
  readonly url: string;
  /** SIGKILL: the clients see the socket drop, as when Redis crashes. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
  });
  return child;
}

async function end(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

/** Starts `redis-server` from the PATH (the Debian package `redis-server`). */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined = await launch(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      await end(child, 'SIGKILL');
      child = undefined;
    },
    async restart() {
      await end(child, 'SIGKILL');
      child = await launch(port);
    },
    async stop() {
      await end(child, 'SIGTERM');
      child = undefined;
    },
  };
}

/** A file's own redis-server and the gateway's connections to it. */
export interface RedisForTests {
  /** The server; started by the file's `before` hook. */
  readonly server: () => RedisServer;
  /** A connection under `keyPrefix`, once it is up; closed by the file's `after` hook. */
  readonly connect: (keyPrefix: string) => Promise<RedisConnection>;
  /** A key prefix no earlier call returned, so each case starts from empty keys. */
  readonly freshPrefix: (name: string) => string;
}

/** Starts a redis-server before the file's tests and closes it and every connection made to it after them. */
export function useRedisForTests(options: { readonly commandTimeoutMs: number }): RedisForTests {
  const logger = createLogger({ level: 'silent' });
  const connections: RedisConnection[] = [];
  let redis: RedisServer | undefined;
  let prefixes = 0;
  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    await Promise.all(connections.map((connection) => connection.close()));
    await redis?.stop();
  });
  const server = (): RedisServer => {
    if (redis === undefined) throw new Error('redis-server is started by the before hook');
    return redis;
  };
  return {
    server,
    connect: async (keyPrefix) => {
      const { commandTimeoutMs } = options;
      const connection = createRedisConnection({ url: server().url, keyPrefix, commandTimeoutMs, logger });
      connections.push(connection);
      await pollUntil(
        async () => connection.health(),
        (health) => health === 'up',
        5000,
      );
      return connection;
    },
    freshPrefix: (name) => `${name}${prefixes++}:`,
  };
}
