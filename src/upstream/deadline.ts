/** The abort reason of a lookup's deadline, told apart from any other abort by its class, not its name. */
export class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
  constructor(budgetMs: number) {
    super(`The lookup's ${budgetMs} ms budget ran out`);
  }
}

/** The one time budget of a lookup: quota queueing, retries and calls all spend from it. */
export interface Deadline {
  /** Aborts with a DeadlineExceeded reason when the budget is spent; passed to the SDK, so it caps every attempt. */
  readonly signal: AbortSignal;
  remainingMs(): number;
  /** True once the budget is spent. */
  expired(): boolean;
}

/** Starts a budget of `budgetMs` now. Its timer never keeps the process alive. */
export function startDeadline(budgetMs: number): Deadline {
  const endsAt = performance.now() + budgetMs;
  const controller = new AbortController();
  setTimeout(() => controller.abort(new DeadlineExceeded(budgetMs)), budgetMs).unref();
  return {
    signal: controller.signal,
    remainingMs: () => Math.max(0, endsAt - performance.now()),
    expired: () => controller.signal.reason instanceof DeadlineExceeded,
  };
}
