import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Arrival, SubscriberSpec, SubscribersCommand, SubscribersReply } from './liveProtocol.js';

/** Subscriber processes (bench/liveSubscribers.ts) driven as one: subscribers are dealt out round-robin. */
export interface SubscriberPool {
  /** Resolves once every process has loaded (they start while the gateways do). */
  ready(): Promise<void>;
  /** Opens every subscriber; resolves once each got its first answer or failed. */
  open(subscribers: readonly SubscriberSpec[]): Promise<{ opened: number; failed: number; firstError?: string }>;
  /** Starts a round: resolves once every process records arrivals of the given `published` values. */
  expect(published: Record<string, boolean>): Promise<void>;
  /** The round's arrivals, once every expecting subscriber got its update or `timeoutMs` passed. */
  arrivals(timeoutMs: number): Promise<{ arrivals: Arrival[]; missed: number }>;
  /** Closes every subscriber and ends the processes. */
  close(): Promise<void>;
}

const entry = fileURLToPath(new URL('./liveSubscribers.ts', import.meta.url));

/** Forks `processes` subscriber processes (run through tsx, like the runner), logging to `logPath`. */
export function startSubscriberPool(options: {
  processes: number;
  connectionParams: Record<string, string>;
  /** Subscribers opening at once per process. */
  concurrency: number;
  logPath: string;
}): SubscriberPool {
  const log = openSync(options.logPath, 'w');
  const children = Array.from({ length: options.processes }, () =>
    fork(entry, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', log, log, 'ipc'] }),
  );
  closeSync(log);
  let round = 0;

  // Replies are kept until asked for: a round's arrivals can come back before the runner asks for them.
  const inboxes = children.map((child) => {
    const unread: SubscribersReply[] = [];
    let wake: () => void = () => undefined;
    let exitCode: number | null | undefined;
    child.on('message', (reply: SubscribersReply) => {
      unread.push(reply);
      wake();
    });
    child.once('exit', (code) => {
      exitCode = code;
      wake();
    });
    return async <T extends SubscribersReply['type']>(type: T): Promise<Extract<SubscribersReply, { type: T }>> => {
      for (;;) {
        const at = unread.findIndex((reply) => reply.type === type);
        if (at >= 0) return unread.splice(at, 1)[0] as Extract<SubscribersReply, { type: T }>;
        if (exitCode !== undefined) {
          throw new Error(`a subscriber process exited (${exitCode}) while the runner waited for '${type}'`);
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    };
  });
  const next = <T extends SubscribersReply['type']>(c: number, type: T) =>
    (inboxes[c] as (type: T) => Promise<Extract<SubscribersReply, { type: T }>>)(type);
  const tell = (child: ChildProcess, command: SubscribersCommand): void => void child.send(command);

  return {
    async ready() {
      await Promise.all(children.map((_, c) => next(c, 'ready')));
    },
    async open(subscribers) {
      const replies = await Promise.all(
        children.map((child, c) => {
          const mine = subscribers.filter((_, i) => i % children.length === c);
          const reply = next(c, 'opened');
          tell(child, {
            type: 'open',
            subscribers: mine,
            connectionParams: options.connectionParams,
            concurrency: options.concurrency,
          });
          return reply;
        }),
      );
      return {
        opened: replies.reduce((sum, r) => sum + r.opened, 0),
        failed: replies.reduce((sum, r) => sum + r.failed, 0),
        ...(replies.find((r) => r.firstError !== undefined)?.firstError !== undefined && {
          firstError: replies.find((r) => r.firstError !== undefined)?.firstError,
        }),
      };
    },
    async expect(published) {
      round += 1;
      await Promise.all(
        children.map((child, c) => {
          const reply = next(c, 'expecting');
          tell(child, { type: 'expect', round, published });
          return reply;
        }),
      );
    },
    async arrivals(timeoutMs) {
      const replies = children.map((_, c) => next(c, 'arrivals'));
      const timer = setTimeout(() => children.forEach((child) => tell(child, { type: 'collect', round })), timeoutMs);
      try {
        const all = await Promise.all(replies);
        return { arrivals: all.flatMap((r) => r.arrivals), missed: all.reduce((sum, r) => sum + r.missed, 0) };
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await Promise.all(
        children.map(async (child, c) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise((resolve) => child.once('exit', resolve));
          const stopped = next(c, 'closed').catch(() => undefined);
          tell(child, { type: 'close' });
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await stopped;
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}
