/** What the queue needs of a waiter: whose it is, and that caller's share. */
export interface Waiter {
  readonly callerId: string;
  /** Relative share while callers compete; a caller of weight 2 gets two turns for another's one. */
  readonly weight: number;
}

/** Lookups waiting for quota, in the order they get it. */
export interface WaitQueue<T extends Waiter> {
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
export function createFifoQueue<T extends Waiter>(): WaitQueue<T> {
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

interface Line<T> {
  readonly waiters: T[];
  /** Virtual time at which this caller's head waiter is due: the earliest due caller goes next. */
  due: number;
  /** Order of becoming active, to break ties between callers due at the same time. */
  readonly since: number;
}

/**
 * Fair by caller (UPSTREAM_QUEUE_POLICY=fair): start-time fair queueing, the weighted form of
 * round-robin. Each caller keeps its own arrival order; each turn a caller takes advances its due
 * time by 1 / weight, and the caller due earliest goes next. A caller that starts waiting is due
 * "now" (the due time of the last turn given), never earlier, so a caller with a long backlog
 * cannot make a newcomer wait behind all of it: with N callers waiting, a newcomer's first
 * lookup starts within about N turns. With one caller waiting this is plain FIFO.
 */
export function createFairQueue<T extends Waiter>(): WaitQueue<T> {
  const lines = new Map<string, Line<T>>();
  // Virtual time: the due time of the last turn given.
  let now = 0;
  let activations = 0;
  let length = 0;

  const head = (): Line<T> | undefined => {
    let best: Line<T> | undefined;
    for (const line of lines.values()) {
      if (best === undefined || line.due < best.due || (line.due === best.due && line.since < best.since)) best = line;
    }
    return best;
  };

  return {
    get length() {
      return length;
    },
    lengthOf: (callerId) => lines.get(callerId)?.waiters.length ?? 0,
    push(waiter) {
      const line = lines.get(waiter.callerId);
      if (line) line.waiters.push(waiter);
      else lines.set(waiter.callerId, { waiters: [waiter], due: now, since: (activations += 1) });
      length += 1;
    },
    peek: () => head()?.waiters[0],
    shift() {
      const line = head();
      const waiter = line?.waiters.shift();
      if (line === undefined || waiter === undefined) return undefined;
      length -= 1;
      now = line.due;
      line.due += 1 / Math.max(waiter.weight, Number.EPSILON);
      // A caller whose line empties is forgotten: when it waits again it is due "now", like anyone else.
      if (line.waiters.length === 0) lines.delete(waiter.callerId);
      return waiter;
    },
    remove(waiter) {
      const line = lines.get(waiter.callerId);
      const index = line?.waiters.indexOf(waiter) ?? -1;
      if (line === undefined || index < 0) return false;
      line.waiters.splice(index, 1);
      length -= 1;
      if (line.waiters.length === 0) lines.delete(waiter.callerId);
      return true;
    },
    drain() {
      const all = [...lines.values()].flatMap((line) => line.waiters);
      lines.clear();
      length = 0;
      return all;
    },
  };
}
