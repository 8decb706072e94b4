/** What a flight needs to make, or follow, the one call for a key. */
export interface FlightWork<T> {
  /** Makes the upstream call (and writes the cache); runs at most once per key at a time. */
  start(): Promise<T>;
  /** Another replica held the key and finished: read what it left (the shared cache); undefined if nothing. */
  settledElsewhere(): Promise<T | undefined>;
  /** The first lookup's deadline: stop waiting for another replica when it aborts. */
  readonly signal: AbortSignal;
}

/**
 * One call per key in flight, whichever GraphQL request asks: in this process (createLocalFlight) and,
 * in shared mode, across the fleet. `joined` tells whether this lookup rode on a call already in flight here.
 */
export interface Flight<T> {
  run(key: string, work: FlightWork<T>): { readonly result: Promise<T>; readonly joined: boolean };
}

/** In-process single flight: an entry lives exactly as long as its call. */
export function createLocalFlight<T>(): Flight<T> {
  const inFlight = new Map<string, Promise<T>>();
  return {
    run(key, work) {
      const existing = inFlight.get(key);
      if (existing !== undefined) return { result: existing, joined: true };
      // Every caller awaits `result`, so its rejection is always handled.
      const result = work.start().finally(() => inFlight.delete(key));
      inFlight.set(key, result);
      return { result, joined: false };
    },
  };
}
