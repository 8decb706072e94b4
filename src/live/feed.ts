/** One subscription's queue of updates, read by the transport as an async iterator. */
export interface Feed<T> {
  /** Queues an update; past `maxPending` waiting ones, the queue is replaced by `catchUp()`. */
  push(update: T): void;
  /** Ends the iterator: a waiting `next()` resolves done. */
  close(): void;
  readonly iterator: AsyncIterableIterator<T>;
}

export interface FeedOptions<T> {
  /** Updates that may wait for a consumer that is slower than the updates. */
  readonly maxPending: number;
  /** What replaces a full queue: one update that brings the consumer to the current state. */
  readonly catchUp: () => T;
  /** Called once, when the consumer or the server ends the feed. */
  readonly onClose: () => void;
}

/**
 * A bounded queue: a consumer that cannot keep up never makes it grow past `maxPending`; it gets the
 * current state instead of the updates it missed. `return()` (the transport's unsubscribe) ends it at
 * once, also while a `next()` waits, unlike an async generator's.
 */
export function createFeed<T>(options: FeedOptions<T>): Feed<T> {
  let queue: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | undefined;
  let closed = false;

  const close = (): void => {
    if (closed) return;
    closed = true;
    queue = [];
    waiting?.({ done: true, value: undefined });
    waiting = undefined;
    options.onClose();
  };

  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (queue.length > 0) return Promise.resolve({ done: false, value: queue.shift() as T });
      if (closed) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => (waiting = resolve));
    },
    return() {
      close();
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };

  return {
    push(update) {
      if (closed) return;
      if (waiting !== undefined) {
        const resolve = waiting;
        waiting = undefined;
        return resolve({ done: false, value: update });
      }
      queue.push(update);
      if (queue.length > options.maxPending) queue = [options.catchUp()];
    },
    close,
    iterator,
  };
}
