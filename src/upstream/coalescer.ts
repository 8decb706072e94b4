/** Lets concurrent lookups of one key, from any GraphQL request, share one in-flight call. */
export interface Coalescer<T> {
  /** Joins the call in flight for `key`, or starts one with `start`; `joined` tells which. */
  run(key: string, start: () => Promise<T>): { readonly result: Promise<T>; readonly joined: boolean };
}

/** Process-wide; an entry lives exactly as long as its call. */
export function createCoalescer<T>(): Coalescer<T> {
  const inFlight = new Map<string, Promise<T>>();
  return {
    run(key, start) {
      const existing = inFlight.get(key);
      if (existing !== undefined) return { result: existing, joined: true };
      // Every caller awaits `result`, so its rejection is always handled.
      const result = start().finally(() => inFlight.delete(key));
      inFlight.set(key, result);
      return { result, joined: false };
    },
  };
}
