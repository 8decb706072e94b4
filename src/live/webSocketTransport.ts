import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { decodeJwt } from 'jose';
import { WebSocketServer, type WebSocket } from 'ws';
import { AuthenticationError, type Authenticator } from '../auth/authenticator.js';
import type { Principal } from '../auth/principal.js';
import type { Config } from '../config.js';
import { refusalText } from '../graphql/errors.js';
import type { Logger } from '../logger.js';
import type { LiveOperations } from './operation.js';

/** Close codes the gateway itself uses on a subscription socket (the README lists them). */
const liveCloseCodes = {
  /** Shutdown (drain): reconnect, to another replica. */
  goingAway: 1001,
  /** The client could not keep up: unsent data passed LIVE_MAX_BUFFERED_BYTES. */
  tryAgainLater: 1013,
  /** No or invalid credentials in `connection_init` or the upgrade's headers. */
  unauthenticated: 4401,
  /** The JWT the socket was opened with expired: open a new one with a fresh token. */
  expired: 4403,
  /** The credentials could not be checked right now (e.g. JWKS unreachable): retry later. */
  authUnavailable: 4503,
} as const;

export interface WebSocketTransportDependencies {
  readonly authenticator: Authenticator;
  readonly operations: LiveOperations;
  readonly subscribe: (args: ExecutionArgs) => Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;
  readonly settings: Config['live'];
  readonly corsOrigins: Config['corsOrigins'];
  readonly maxPayloadBytes: number;
  /** True once shutdown began: new sockets are refused (503) so clients go to another replica. */
  readonly shuttingDown: () => boolean;
  readonly logger: Logger;
}

type SocketExtra = {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  principal?: Principal;
  expiry?: NodeJS.Timeout;
};

/**
 * `graphql-ws` (subprotocol `graphql-transport-ws`) on the upgrade of `/graphql`: the HTTP API's origin
 * rule applies to the upgrade, credentials come from `connection_init` or the upgrade's headers through
 * the HTTP authenticator, and a JWT's expiry closes the socket with 4403. On close of the app, sockets
 * are closed with 1001.
 */
export function attachWebSocketTransport(app: FastifyInstance, deps: WebSocketTransportDependencies): void {
  const { authenticator, operations, settings, logger } = deps;
  const sockets = new WebSocketServer({ noServer: true, maxPayload: deps.maxPayloadBytes });

  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://gateway').pathname;
    if (path !== '/graphql') return refuseUpgrade(socket, 404, 'Not Found');
    if (deps.shuttingDown()) return refuseUpgrade(socket, 503, 'Service Unavailable');
    if (!originAllowed(deps.corsOrigins, request.headers.origin)) return refuseUpgrade(socket, 403, 'Forbidden');
    sockets.handleUpgrade(request, socket, head, (client) => sockets.emit('connection', client, request));
  });

  // Registered before graphql-ws's own listener, so every send it makes is checked: a consumer that does not
  // read fills the socket's buffer, and is closed rather than allowed to grow it.
  sockets.on('connection', (socket: WebSocket) => {
    const send = socket.send.bind(socket);
    socket.send = ((data: string, callback?: (error?: Error) => void) => {
      send(data, callback);
      if (socket.bufferedAmount > settings.maxBufferedBytes && socket.readyState === socket.OPEN) {
        socket.close(liveCloseCodes.tryAgainLater, 'Too slow to keep up with the updates');
      }
    }) as WebSocket['send'];
  });

  useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      async onConnect(ctx) {
        const headers = { ...ctx.extra.request.headers, ...credentialHeaders(ctx.connectionParams) };
        try {
          ctx.extra.principal = await authenticator.authenticate(headers);
        } catch (error) {
          if (!(error instanceof AuthenticationError)) throw error;
          const unavailable = error.failure === 'unavailable';
          ctx.extra.socket.close(
            unavailable ? liveCloseCodes.authUnavailable : liveCloseCodes.unauthenticated,
            unavailable ? refusalText.AUTH_UNAVAILABLE : refusalText.UNAUTHENTICATED.credentials,
          );
          return false;
        }
        const expiresAt = jwtExpiry(headers.authorization);
        if (expiresAt !== undefined) {
          ctx.extra.expiry = setTimeout(
            () => ctx.extra.socket.close(liveCloseCodes.expired, 'Credentials expired'),
            Math.max(0, expiresAt - Date.now()),
          );
          ctx.extra.expiry.unref();
        }
        return true;
      },
      onClose(ctx) {
        clearTimeout(ctx.extra.expiry);
      },
      async onSubscribe(ctx, _id, payload) {
        const principal = ctx.extra.principal;
        if (principal === undefined) return [];
        return operations.prepare(principal, payload);
      },
      subscribe: (args) => deps.subscribe(args),
      onNext: (_ctx, _id, _payload, _args, result) => operations.formatResult(result),
      onError: (_ctx, _id, _payload, errors) => operations.formatErrors(errors),
    },
    sockets,
    settings.keepAliveMs,
  );

  app.addHook('preClose', async () => {
    logger.info({ sockets: sockets.clients.size }, 'closing subscription sockets (1001): clients reconnect elsewhere');
    for (const client of sockets.clients) client.close(liveCloseCodes.goingAway, 'Going away');
    await new Promise<void>((resolve) => sockets.close(() => resolve()));
  });
}

/** The credentials a browser cannot put in an upgrade's headers, from `connection_init`. */
function credentialHeaders(params: Record<string, unknown> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of ['x-api-key', 'authorization']) {
    const value = params?.[name] ?? params?.[name.replace(/^./, (c) => c.toUpperCase())];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

// The authenticator accepted the token, so its `exp` is real.
function jwtExpiry(authorization: string | string[] | undefined): number | undefined {
  const match = typeof authorization === 'string' ? /^Bearer\s+(\S+)$/i.exec(authorization) : null;
  if (match?.[1] === undefined) return undefined;
  try {
    const { exp } = decodeJwt(match[1]);
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

// The same rule as @fastify/cors's for the HTTP API: a listed origin, any with '*', or none (not a browser).
function originAllowed(corsOrigins: Config['corsOrigins'], origin: string | undefined): boolean {
  return corsOrigins === '*' || origin === undefined || corsOrigins.includes(origin);
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
