/** The port the runner chose for this baseline (`PORT`); baselines listen on 127.0.0.1 only. */
export function listenPort(): number {
  const port = Number(process.env['PORT']);
  if (!Number.isInteger(port) || port <= 0)
    throw new Error(`PORT must be a positive integer, got '${process.env['PORT']}'`);
  return port;
}

/** Closes the server on SIGTERM/SIGINT and exits 0, so `--cpu-prof` and the runner see a clean exit. */
export function closeOnSignal(close: () => Promise<void>): void {
  const shutdown = (): void => {
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
