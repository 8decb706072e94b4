import {
  createSourceEventStream,
  execute,
  print,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import type { Principal } from '../auth/principal.js';
import type { GatewayContext } from '../context.js';
import { createSharedExecution } from './subscriptionGroups.js';

/**
 * What a prepared subscription carries as its `contextValue` for as long as it is open: who asks. The request
 * context (loaders, about 3 KB) is built for each step and dropped after it, not held per subscriber.
 */
export interface SubscriptionContext {
  readonly principal: Principal;
}

/**
 * graphql-js's `subscribe`, except that the subscribe step and each update execute with a fresh request
 * context: its loaders hold what one update read, never answers from an earlier update. The returned
 * iterator's `return()` reaches the live feed at once, so an unsubscribe frees the watcher without waiting
 * for an update.
 */
export function createLiveSubscribe(
  contextFor: (principal: Principal) => Promise<GatewayContext>,
): (args: ExecutionArgs) => Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const shared = createSharedExecution();
  // Subscriptions of one text share one document (src/live/documentStore.ts): printed once, not per subscriber.
  const printed = new WeakMap<DocumentNode, string>();
  const textOf = (document: DocumentNode): string => {
    let text = printed.get(document);
    if (text === undefined) printed.set(document, (text = print(document)));
    return text;
  };
  return async (args) => {
    const { principal } = args.contextValue as SubscriptionContext;
    const stream = await createSourceEventStream({ ...args, contextValue: await contextFor(principal) });
    if (!isAsyncIterable(stream)) return stream;
    const source = stream[Symbol.asyncIterator]();
    const group = JSON.stringify([
      textOf(args.document),
      args.operationName ?? null,
      args.variableValues ?? null,
      principal.stages.fingerprint,
    ]);
    const execution = async (event: unknown): Promise<ExecutionResult> =>
      execute({ ...args, rootValue: event, contextValue: await contextFor(principal) });
    const run = (event: unknown): Promise<ExecutionResult> =>
      typeof event === 'object' && event !== null ? shared(event, group, () => execution(event)) : execution(event);
    const mapped: AsyncIterableIterator<ExecutionResult> = {
      async next() {
        const item = await source.next();
        if (item.done === true) return { done: true, value: undefined };
        return { done: false, value: await run(item.value) };
      },
      async return() {
        await source.return?.();
        return { done: true, value: undefined };
      },
      // graphql-sse ends a stream's operations only if they look like async generators (`throw` included):
      // without it, a client that goes away would keep its subscription and the watch.
      async throw(error: unknown) {
        await source.return?.();
        throw error;
      },
      [Symbol.asyncIterator]() {
        return mapped;
      },
    };
    return mapped;
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
