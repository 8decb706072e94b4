/** Lookups waiting for quota, in the order they get it. */
export interface WaitQueue<T extends { readonly callerId: string }> {
  readonly length: number;
  /** Waiters of one caller. */
  lengthOf(callerId: string): number;
  push(waiter: T): void;
  /** The waiter whose turn it is, without taking it out. */
  peek(): T | undefined;
  /** Takes out the waiter `peek` returned, and charges its caller for the turn. */
  shift(): T | undefined;
  /** Takes out a waiter that gave up; false if it was not queued. */
  remove(waiter: T): boolean;
  /** Empties the queue, returning every waiter. */
  drain(): T[];
}

/** One line for everybody, in arrival order (UPSTREAM_QUEUE_POLICY=fifo). */
export function createFifoQueue<T extends { readonly callerId: string }>(): WaitQueue<T> {
  const items: T[] = [];
  return {
    get length() {
      return items.length;
    },
    lengthOf: (callerId) => items.filter((item) => item.callerId === callerId).length,
    push: (waiter) => void items.push(waiter),
    peek: () => items[0],
    shift: () => items.shift(),
    remove(waiter) {
      const index = items.indexOf(waiter);
      if (index < 0) return false;
      items.splice(index, 1);
      return true;
    },
    drain: () => items.splice(0),
  };
}
