import type { Server } from 'node:http';
import type { Config } from '../config.js';

// A half-sent request head is noticed at the next connections check (Node's default: every 30 s), so the
// check runs at least every second: the headers timeout then closes such a socket within a second of it.
const maxCheckIntervalMs = 1000;

/**
 * Fastify's server options for how long a socket may stay open: the whole request
 * (HTTP_REQUEST_TIMEOUT_MS, set beside these), its head, an idle keep-alive gap, any inactivity.
 */
export function httpServerOptions(http: Config['http']) {
  return {
    keepAliveTimeout: http.keepAliveTimeoutMs,
    connectionTimeout: http.connectionTimeoutMs,
    http: {
      headersTimeout: http.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(maxCheckIntervalMs, http.headersTimeoutMs),
    },
  };
}

/** Caps open connections (HTTP_MAX_CONNECTIONS): Node closes one more at once, before reading from it. */
export function limitConnections(server: Server, http: Config['http']): void {
  if (http.maxConnections > 0) server.maxConnections = http.maxConnections;
}
