/** Whether this process should receive traffic; /readyz reports it. */
export interface Readiness {
  readonly shuttingDown: boolean;
  /** From now on /readyz answers 503 so load balancers stop routing here. */
  beginShutdown(): void;
}

export function createReadiness(): Readiness {
  let shuttingDown = false;
  return {
    get shuttingDown() {
      return shuttingDown;
    },
    beginShutdown() {
      shuttingDown = true;
    },
  };
}
