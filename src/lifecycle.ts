import { setTimeout as sleep } from 'node:timers/promises';
import type { Readiness } from './http/readiness.js';
import type { Logger } from './logger.js';

export interface ShutdownDependencies {
  logger: Logger;
  readiness: Readiness;
  /** Whole budget from the signal to exit; past it the process exits 1 with requests still in flight. */
  timeoutMs: number;
  /** /readyz reports 503 this long before the listener closes, so load balancers stop routing first. */
  delayMs: number;
  /** Stops accepting, lets in-flight requests finish, then releases everything else. */
  stop(): Promise<void>;
  exit(code: number): void;
}

/**
 * SIGTERM/SIGINT: /readyz turns 503, new connections are refused, in-flight requests finish,
 * then exit 0; exit 1 if that takes longer than `timeoutMs` or fails. A second signal exits at once.
 */
export function installShutdown(deps: ShutdownDependencies): void {
  const { logger } = deps;
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal during shutdown: exiting now');
      return deps.exit(1);
    }
    shuttingDown = true;
    logger.info({ signal, timeoutMs: deps.timeoutMs }, 'shutting down: finishing in-flight requests');
    deps.readiness.beginShutdown();
    setTimeout(() => {
      logger.error({ timeoutMs: deps.timeoutMs }, 'shutdown deadline passed: exiting with requests in flight');
      deps.exit(1);
    }, deps.timeoutMs).unref();
    sleep(deps.delayMs)
      .then(() => deps.stop())
      .then(
        () => {
          logger.info('shutdown complete');
          deps.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          deps.exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * A rejection nobody handled or an exception nobody caught leaves the process in an unknown
 * state: log it and exit non-zero so the supervisor restarts a clean one.
 */
export function installCrashHandlers(logger: Logger, exit: (code: number) => void): void {
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection: exiting');
    exit(1);
  });
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception: exiting');
    exit(1);
  });
}
