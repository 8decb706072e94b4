/** The one time budget of a lookup: quota queueing, retries and calls all spend from it. */
export interface Deadline {
  /** Aborts when the budget is spent; passed to the limiter and the SDK. */
  readonly signal: AbortSignal;
  remainingMs(): number;
}

/** Starts a budget of `budgetMs` now. Its timer never keeps the process alive. */
export function startDeadline(budgetMs: number): Deadline {
  const endsAt = performance.now() + budgetMs;
  return {
    signal: AbortSignal.timeout(budgetMs),
    remainingMs: () => Math.max(0, endsAt - performance.now()),
  };
}
