/**
 * What the live bench's runner and its subscriber processes (bench/liveSubscribers.ts) say to each other
 * over the child-process IPC channel. Times are wall-clock ms (`wallClockMs`), comparable between processes.
 */

/** One subscriber: one graphql-ws client, one WebSocket, one subscription. */
export interface SubscriberSpec {
  /** The gateway replica, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  readonly query: string;
  readonly variables: Record<string, unknown>;
  /** The participant whose `published` the subscriber watches in its updates. */
  readonly watches: string;
}

export type SubscribersCommand =
  | {
      readonly type: 'open';
      readonly subscribers: readonly SubscriberSpec[];
      /** Sent in `connection_init` (the gateway reads credentials there). */
      readonly connectionParams: Record<string, string>;
      /** Subscribers opening at once in this process. */
      readonly concurrency: number;
    }
  /** From now on, record when each subscriber first sees its participant with this `published`. */
  | { readonly type: 'expect'; readonly round: number; readonly published: Record<string, boolean> }
  /** Send the round's arrivals now, whether every subscriber got the update or not. */
  | { readonly type: 'collect'; readonly round: number }
  | { readonly type: 'close' };

export interface Arrival {
  readonly participantId: string;
  readonly atMs: number;
}

export type SubscribersReply =
  /** The process has loaded and listens for commands. */
  | { readonly type: 'ready' }
  | { readonly type: 'opened'; readonly opened: number; readonly failed: number; readonly firstError?: string }
  | { readonly type: 'expecting'; readonly round: number }
  | {
      readonly type: 'arrivals';
      readonly round: number;
      readonly arrivals: readonly Arrival[];
      /** Subscribers expecting an update in this round that had none when collected. */
      readonly missed: number;
    }
  | { readonly type: 'closed' };

/**
 * The wall clock, as every process here reads it. Not `performance.timeOrigin + now()`: that drifts from the
 * wall clock by milliseconds per second of a process's life, apart in each process, and the gateway compares
 * an event's time with `Date.now()`.
 */
export function wallClockMs(): number {
  return Date.now();
}
