import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  wallClockMs,
  type Arrival,
  type SubscriberSpec,
  type SubscribersCommand,
  type SubscribersReply,
} from './liveProtocol.js';

/**
 * A subscriber process of the live bench, forked by bench/liveSubscriberPool.ts: it opens graphql-ws
 * subscribers on command and records, per round, when each one first sees the `published` it was told
 * to expect. Updates that do not match (the first answer, a revalidation) are ignored.
 */

interface Subscriber {
  readonly spec: SubscriberSpec;
  readonly client: Client;
  arrivedAt: number | undefined;
}

const subscribers: Subscriber[] = [];
let round: { number: number; published: Record<string, boolean>; waiting: number; sent: boolean } | undefined;

function send(reply: SubscribersReply): void {
  process.send?.(reply);
}

/** The `published` the update says the subscriber's participant has, if it names it. */
function publishedIn(data: Record<string, unknown> | null | undefined, participantId: string): boolean | undefined {
  const participant = data?.['participantChanged'] as { participantId?: string; published?: boolean } | undefined;
  if (participant?.participantId === participantId) return participant.published;
  const roster = data?.['rosterChanged'] as
    Record<string, { participantId: string; published?: boolean }[]> | undefined;
  const entry = [...(roster?.['joined'] ?? []), ...(roster?.['changed'] ?? [])].find(
    (candidate) => candidate.participantId === participantId,
  );
  return entry?.published;
}

function onUpdate(subscriber: Subscriber, data: Record<string, unknown> | null | undefined): void {
  const at = wallClockMs();
  if (round === undefined || subscriber.arrivedAt !== undefined) return;
  const expected = round.published[subscriber.spec.watches];
  if (expected === undefined || publishedIn(data, subscriber.spec.watches) !== expected) return;
  subscriber.arrivedAt = at;
  round.waiting -= 1;
  if (round.waiting === 0) sendArrivals();
}

function sendArrivals(): void {
  if (round === undefined || round.sent) return;
  round.sent = true;
  const arrivals: Arrival[] = [];
  let missed = 0;
  for (const subscriber of subscribers) {
    if (round.published[subscriber.spec.watches] === undefined) continue;
    if (subscriber.arrivedAt === undefined) missed += 1;
    else arrivals.push({ participantId: subscriber.spec.watches, atMs: subscriber.arrivedAt });
  }
  send({ type: 'arrivals', round: round.number, arrivals, missed });
}

/** Resolves once the subscription's first answer arrived; rejects if it ended or failed first. */
function open(spec: SubscriberSpec, connectionParams: Record<string, string>): Promise<void> {
  const client = createClient({
    url: `${spec.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
  });
  const subscriber: Subscriber = { spec, client, arrivedAt: undefined };
  subscribers.push(subscriber);
  return new Promise((resolve, reject) => {
    let first = true;
    client.subscribe(
      { query: spec.query, variables: spec.variables },
      {
        next(result) {
          if (result.errors !== undefined) return reject(new Error(JSON.stringify(result.errors)));
          if (first) {
            first = false;
            return resolve();
          }
          onUpdate(subscriber, result.data);
        },
        error: (error) => reject(error instanceof Error ? error : new Error(describe(error))),
        complete: () => reject(new Error('the subscription completed')),
      },
    );
  });
}

function describe(error: unknown): string {
  if (Array.isArray(error)) return JSON.stringify(error);
  const closed = error as { code?: number; reason?: string };
  return closed.code === undefined ? String(error) : `socket closed ${closed.code} ${closed.reason ?? ''}`;
}

async function openAll(command: Extract<SubscribersCommand, { type: 'open' }>): Promise<void> {
  let opened = 0;
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < command.subscribers.length) {
      const spec = command.subscribers[next++] as SubscriberSpec;
      try {
        await open(spec, command.connectionParams);
        opened += 1;
      } catch (error) {
        failed += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, worker));
  send({ type: 'opened', opened, failed, ...(firstError !== undefined && { firstError }) });
}

process.on('message', (command: SubscribersCommand) => {
  switch (command.type) {
    case 'open':
      void openAll(command);
      return;
    case 'expect': {
      for (const subscriber of subscribers) subscriber.arrivedAt = undefined;
      const waiting = subscribers.filter((s) => command.published[s.spec.watches] !== undefined).length;
      round = { number: command.round, published: command.published, waiting, sent: false };
      send({ type: 'expecting', round: command.round });
      if (waiting === 0) sendArrivals();
      return;
    }
    case 'collect':
      if (round?.number === command.round) sendArrivals();
      return;
    case 'close':
      // The process exits once the sockets have closed and the channel is gone.
      for (const subscriber of subscribers) void subscriber.client.dispose();
      send({ type: 'closed' });
      process.disconnect();
      return;
  }
});
send({ type: 'ready' });
