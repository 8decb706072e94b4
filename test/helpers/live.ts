import { createClient as createSseClient } from 'graphql-sse';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { within } from './within.js';

/** What a subscription sends: data, or errors with their codes. */
export interface LiveResult<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** One subscription's results as they arrive, read one at a time with a bound. */
export interface Received<T> {
  next(ms?: number): Promise<LiveResult<T>>;
  /** Resolves true when nothing arrives within `ms`. */
  quiet(ms: number): Promise<boolean>;
  /** Resolves when the server completes the subscription (or the transport ends it). */
  readonly ended: Promise<void>;
  stop(): Promise<void>;
}

function collect<T>(iterator: AsyncIterableIterator<unknown>): Received<T> {
  const arrived: LiveResult<T>[] = [];
  let wake: (() => void) | undefined;
  const ended = (async () => {
    try {
      for await (const result of iterator) {
        arrived.push(result as LiveResult<T>);
        wake?.();
      }
    } catch (error) {
      // graphql-ws ends the iterator with the `error` message's errors; anything else is the transport's.
      const errors = Array.isArray(error) ? error : [{ message: String(error), extensions: { transport: true } }];
      arrived.push({ errors });
      wake?.();
    }
  })();
  const take = async (): Promise<LiveResult<T>> => {
    while (arrived.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return arrived.shift() as LiveResult<T>;
  };
  return {
    next: (ms = 10_000) => within(take(), ms, 'a subscription update'),
    async quiet(ms) {
      if (arrived.length > 0) return false;
      await Promise.race([new Promise((resolve) => setTimeout(resolve, ms)), new Promise<void>((r) => (wake = r))]);
      return arrived.length === 0;
    },
    ended,
    async stop() {
      await iterator.return?.();
    },
  };
}

/** A graphql-ws client of the gateway at `baseUrl` (http://...), with its close events. */
export function liveClient(
  baseUrl: string,
  connectionParams?: Record<string, unknown>,
): { client: Client; closed: Promise<{ code: number; reason: string }> } {
  let onClosed: (event: { code: number; reason: string }) => void = () => undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  const client = createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    ...(connectionParams && { connectionParams }),
    on: { closed: (event) => onClosed(event as { code: number; reason: string }) },
  });
  return { client, closed };
}

/** Subscribes over graphql-ws. */
export function subscribe<T = Record<string, unknown>>(
  client: Client,
  query: string,
  variables?: Record<string, unknown>,
): Received<T> {
  return collect<T>(client.iterate({ query, ...(variables && { variables }) }));
}

/** Subscribes over server-sent events (graphql-sse, distinct connections) to the gateway at `baseUrl`. */
export function subscribeSse<T = Record<string, unknown>>(
  baseUrl: string,
  query: string,
  variables?: Record<string, unknown>,
  headers?: Record<string, string>,
): Received<T> {
  return subscribeSseAt<T>(`${baseUrl}/graphql/stream`, query, variables, headers);
}

/** Subscribes over server-sent events (graphql-sse, distinct connections) to any endpoint, e.g. a router's. */
export function subscribeSseAt<T = Record<string, unknown>>(
  endpoint: string,
  query: string,
  variables?: Record<string, unknown>,
  headers?: Record<string, string>,
): Received<T> {
  const client = createSseClient({ url: endpoint, retryAttempts: 0, ...(headers && { headers }) });
  return collect<T>(client.iterate({ query, ...(variables && { variables }) }));
}
