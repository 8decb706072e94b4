import type { ExecutionResult } from 'graphql';

/** Runs an update's execution once per group of identical subscriptions. */
export type SharedExecution = (
  update: object,
  group: string,
  execute: () => Promise<ExecutionResult>,
) => Promise<ExecutionResult>;

/**
 * Identical subscriptions (same document, operation name, variables and grants: the `group` key) of one
 * watched key receive the very same update object from the watcher, so its execution is kept with the update
 * and shared: 10,000 browsers on one roster cost one execution per update, not 10,000. The results go when
 * the update is garbage, so nothing here needs cleaning.
 */
export function createSharedExecution(): SharedExecution {
  const executions = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();
  return (update, group, execute) => {
    let byGroup = executions.get(update);
    if (byGroup === undefined) executions.set(update, (byGroup = new Map<string, Promise<ExecutionResult>>()));
    let result = byGroup.get(group);
    if (result === undefined) byGroup.set(group, (result = execute()));
    return result;
  };
}
