import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Paths that must never reach a log line: credentials in headers. */
const redactedPaths = ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'];

function settings(level: string): LoggerOptions {
  return { level, redact: { paths: redactedPaths, censor: '[redacted]' } };
}

/** JSON logs, one object per line: on stdout, or on `destination` (tests read the lines). */
export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  // Asynchronous stdout: lines that arrive while a write is in flight go out together in the next one, instead
  // of one blocking write per request line; pino flushes what is left when the process exits.
  return pino(settings(options.level), options.destination ?? pino.destination({ dest: 1, sync: false }));
}

/**
 * Human-readable lines for a developer's terminal, through pino-pretty (loaded only here): same levels
 * and redaction as the JSON logger. Synchronous, so log lines and the start banner keep their order.
 */
export async function createTerminalLogger(level: string): Promise<Logger> {
  const { default: pretty } = await import('pino-pretty');
  return pino(
    settings(level),
    pretty({ sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }),
  );
}
