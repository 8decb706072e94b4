/** The abort reason of a lookup's deadline, told apart from any other abort by its class, not its name. */
export class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
  constructor(budgetMs: number) {
    super(`The lookup's ${budgetMs} ms budget ran out`);
  }
}

/**
 * Which budget ran out: `DEADLINE` the lookup's own (UPSTREAM_DEADLINE_MS), `REQUEST_DEADLINE` what was left of
 * its HTTP request's (UPSTREAM_REQUEST_DEADLINE_MS), when that was the shorter. Reported as `extensions.reason`.
 */
export type DeadlineReason = 'DEADLINE' | 'REQUEST_DEADLINE';

/** The one time budget of a lookup: quota queueing, retries and calls all spend from it. */
export interface Deadline {
  readonly reason: DeadlineReason;
  /** Aborts with a DeadlineExceeded reason when the budget is spent; passed to the SDK, so it caps every attempt. */
  readonly signal: AbortSignal;
  remainingMs(): number;
  /** True once the budget is spent. */
  expired(): boolean;
}

/** Starts a budget of `budgetMs` now. Its timer never keeps the process alive. */
export function startDeadline(budgetMs: number, reason: DeadlineReason = 'DEADLINE'): Deadline {
  const endsAt = performance.now() + budgetMs;
  const controller = new AbortController();
  setTimeout(() => controller.abort(new DeadlineExceeded(budgetMs)), budgetMs).unref();
  return {
    reason,
    signal: controller.signal,
    remainingMs: () => Math.max(0, endsAt - performance.now()),
    expired: () => controller.signal.reason instanceof DeadlineExceeded,
  };
}

/** The one time budget of a whole HTTP request: each of its lookups gets at most what is left of it. */
export interface RequestDeadline {
  remainingMs(): number;
}

/** Starts a request's budget of `budgetMs` now; it needs no timer, its lookups' deadlines carry one. */
export function startRequestDeadline(budgetMs: number): RequestDeadline {
  const endsAt = performance.now() + budgetMs;
  return { remainingMs: () => Math.max(0, endsAt - performance.now()) };
}

/** A lookup's deadline: its own budget, capped by what is left of its request's. */
export function startLookupDeadline(lookupBudgetMs: number, request: RequestDeadline | undefined): Deadline {
  const requestLeftMs = request?.remainingMs() ?? Infinity;
  return requestLeftMs < lookupBudgetMs
    ? startDeadline(requestLeftMs, 'REQUEST_DEADLINE')
    : startDeadline(lookupBudgetMs, 'DEADLINE');
}
