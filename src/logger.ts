import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths that must never reach a log line: credentials in headers. */
const redactedPaths = ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'];

/** JSON logs on stdout, one object per line. */
export function createLogger(options: { level: string }): Logger {
  return pino({ level: options.level, redact: { paths: redactedPaths, censor: '[redacted]' } });
}
