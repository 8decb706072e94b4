import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Paths that must never reach a log line: credentials in headers. */
const redactedPaths = ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'];

/** JSON logs, one object per line: on stdout, or on `destination` (tests read the lines). */
export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  const settings = { level: options.level, redact: { paths: redactedPaths, censor: '[redacted]' } };
  // Asynchronous stdout: lines that arrive while a write is in flight go out together in the next one, instead
  // of one blocking write per request line; pino flushes what is left when the process exits.
  return pino(settings, options.destination ?? pino.destination({ dest: 1, sync: false }));
}
