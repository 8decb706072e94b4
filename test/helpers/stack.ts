import { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { startEmulator, type EmulatorOptions, type IvsEmulator } from '../../src/emulator/server.js';
import type { IvsClientOverrides } from '../../src/ivs/client.js';
import type { StageEventSink } from '../../src/live/stageEvent.js';
import { createLogger } from '../../src/logger.js';
import type { LiveWatchers } from '../../src/live/watchers.js';

export const demo = {
  stageArn: 'arn:aws:ivs:us-east-1:123456789012:stage/DemoStage01',
  sessionId: 'st-DemoSession01',
} as const;

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: {
    data?: T | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
    /** Response-level, e.g. `stale: true` when a participant was served from an expired cache entry. */
    extensions?: Record<string, unknown>;
  };
}

export interface Stack {
  /** Base URL of the gateway, e.g. http://127.0.0.1:41234 */
  url: string;
  emulator: IvsEmulator;
  /** The subscriptions' watchers, e.g. to hand them IVS stage events as the events endpoint would. */
  live: LiveWatchers;
  /** POSTs one GraphQL operation to /graphql and returns status and parsed body. */
  graphql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Gateway environment, as the process would read it. */
  env?: Record<string, string>;
  emulator?: EmulatorOptions;
  /** Replaces the credentials the gateway presents to IVS (e.g. a provider that fails). */
  credentials?: IvsClientOverrides['credentials'];
  /** Receives the gateway's JSON log lines (set LOG_LEVEL in `env` too); default: no logs. */
  logDestination?: DestinationStream;
  /** Receives the IVS stage events the events endpoint accepts (set EVENTS_API_KEY in `env`). */
  stageEvents?: StageEventSink;
}

/**
 * Starts the emulator and the gateway on free ports, wired by index.ts's own createApp
 * (the gateway reaches the emulator through IVS_ENDPOINT, as an operator would configure it).
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const emulator = await startEmulator(options.emulator);
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    IVS_ENDPOINT: emulator.url,
    PORT: '0',
    // An emulator behind IVS_ENDPOINT is not the local demo: anonymous callers must be allowed explicitly.
    AUTH_ALLOW_ANONYMOUS: 'true',
    ...options.env,
  });
  const logger = createLogger({
    level: config.logLevel,
    ...(options.logDestination && { destination: options.logDestination }),
  });
  const { http: app, backend } = await createApp(config, logger, {
    credentials: options.credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' },
    ...(options.stageEvents && { stageEvents: options.stageEvents }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('gateway did not bind a TCP port');
  const url = `http://127.0.0.1:${address.port}`;

  return {
    url,
    emulator,
    live: backend.live,
    async graphql<T>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return {
        status: response.status,
        headers: response.headers,
        body: (await response.json()) as GraphQLResponse<T>['body'],
      };
    },
    async close() {
      await app.close();
      await backend.close();
      await emulator.close();
    },
  };
}

/** Runs `run` against a fresh stack, closed afterwards whatever happens. */
export async function withStack(options: StackOptions, run: (stack: Stack) => Promise<void>): Promise<void> {
  const stack = await startStack(options);
  try {
    await run(stack);
  } finally {
    await stack.close();
  }
}

/** What a browser on another origin sends before POSTing JSON with credentials. */
export function corsPreflight(gatewayUrl: string, origin = 'https://app.example.com'): Promise<Response> {
  return fetch(`${gatewayUrl}/graphql`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,authorization',
    },
  });
}

/** A log destination for `startStack({ logDestination })` that keeps every JSON line, parsed. */
export function createLogSink(): { lines: Record<string, unknown>[]; destination: Writable } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, destination };
}
