import type { LiveOperation } from './liveKey.js';

/**
 * How the replicas of a fleet share the watching of keys: one replica refreshes each key (it holds the
 * key's lease) and its answers reach the watchers of every replica. Without Redis, one process alone.
 */
export interface WatchChannel {
  /** Starts watching `text` here: `onMessage` receives what other replicas publish for it. */
  join(text: string, operation: LiveOperation, onMessage: (message: string) => void): void;
  /** Stops watching `text` here; a lease held for it is released. */
  leave(text: string): void;
  /** Whether this replica refreshes `text` now. */
  holds(text: string): boolean;
  /** Sends an answer for `text` to the other replicas watching it. */
  publish(text: string, message: string): void;
  /** Distinct keys watched on `operation`, fleet-wide as far as known. */
  watchedKeys(operation: LiveOperation): number;
  /** Sends a stage event to every replica, this one included (`onEvent`). */
  publishEvent(message: string): void;
  onEvent(listener: (message: string) => void): void;
  /** Called when this replica may have missed answers (a Redis reconnect): rosters send a reset. */
  onMissed(listener: () => void): void;
  close(): Promise<void>;
}

/** The single-process twin: every key is held here, answers stay here. */
export function createLocalWatchChannel(): WatchChannel {
  const joined = new Map<string, LiveOperation>();
  const eventListeners: ((message: string) => void)[] = [];
  return {
    join: (text, operation) => void joined.set(text, operation),
    leave: (text) => void joined.delete(text),
    holds: (text) => joined.has(text),
    publish: () => undefined,
    watchedKeys: (operation) => [...joined.values()].filter((joinedOn) => joinedOn === operation).length,
    publishEvent: (message) => eventListeners.forEach((listener) => listener(message)),
    onEvent: (listener) => void eventListeners.push(listener),
    onMissed: () => undefined,
    close: async () => joined.clear(),
  };
}
