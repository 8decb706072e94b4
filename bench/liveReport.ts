import { quantile } from './fleet.js';
import type { LiveSizes } from './live.js';

type LiveOperation = 'GetParticipant' | 'ListParticipants';

/** What one fleet (one replica, or three with Redis) measured. */
export interface LiveRun {
  readonly replicas: number;
  readonly rosterSubscribers: number;
  readonly participantSubscribers: number;
  readonly failedToOpen: number;
  readonly firstError?: string;
  /** How long the roster subscribers took to open (after the participant ones). */
  readonly openSeconds: number;
  readonly windowS: number;
  /** Emulator calls per operation over the idle window. */
  readonly calls: Record<LiveOperation, number>;
  readonly watchedKeys: Record<LiveOperation, number>;
  /** `ivs_live_refresh_interval_seconds` per operation. */
  readonly intervalsS: Record<LiveOperation, number>;
  /** Sum over the replicas: before any subscriber, with the participant subscribers, with all and idle. */
  readonly rssBytes: { readonly before: number; readonly withParticipants: number; readonly idle: number };
  readonly roster: Deliveries;
  readonly participants: Deliveries;
  /** Gateway CPU (all replicas) during the delivery rounds per update delivered. */
  readonly cpuUsPerDelivery: number | null;
}

export interface Deliveries {
  /** Ascending, ms from the event POST to a subscriber's receipt; one per subscriber and update. */
  readonly latenciesMs: readonly number[];
  readonly missed: number;
  /** Updates posted (events). */
  readonly updates: number;
}

const goals = {
  rosterP99Ms: 500,
  bytesPerIdleSubscriber: 20 * 1024,
};

/** IVS calls per refresh interval: calls in the window scaled to one interval. */
export function callsPerInterval(run: LiveRun, operation: LiveOperation): number {
  return (run.calls[operation] * run.intervalsS[operation]) / run.windowS;
}

/** The live section of the report (Markdown; also what the runner prints). */
export function renderLive(runs: readonly LiveRun[], sizes: LiveSizes): string {
  const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
  const kb = (bytes: number, count: number): string => (count > 0 ? (bytes / count / 1024).toFixed(1) : '?');
  const ms = (deliveries: Deliveries): string =>
    deliveries.latenciesMs.length === 0
      ? 'none'
      : `${quantile(deliveries.latenciesMs, 0.5).toFixed(0)} / ${quantile(deliveries.latenciesMs, 0.99).toFixed(0)} / ${(deliveries.latenciesMs.at(-1) ?? 0).toFixed(0)}`;
  const fleet = (run: LiveRun): string => (run.replicas === 1 ? '1' : `${run.replicas} + Redis`);
  const lines = [
    '### Live: subscriptions (issue 18)',
    '',
    `${sizes.rosterSubscribers.toLocaleString('en-US')} \`rosterChanged\` subscribers on one roster and ${sizes.participantSubscribers.toLocaleString('en-US')} \`participantChanged\` subscribers on distinct participants, one graphql-ws client and WebSocket each, in ${sizes.subscriberProcesses} subscriber processes, dealt round-robin over the replicas. Gateway quota 100 calls/s, \`LIVE_QUOTA_SHARE=0.1\`.`,
    '',
    `IVS calls per refresh interval: the emulator's calls over ${sizes.windowS} idle seconds (from the moment the participants' first answers are one interval old), times the interval \`ivs_live_refresh_interval_seconds\` reports, over the window. Goal: the number of watched keys, whatever the number of subscribers.`,
    '',
    row([
      'replicas',
      'subscribers open',
      'roster subscribers open in s',
      'GetParticipant calls / interval (keys, interval s)',
      'ListParticipants calls / interval (keys, interval s)',
    ]),
    row(['---', '---:', '---:', '---:', '---:']),
    ...runs.map((run) =>
      row([
        fleet(run),
        `${(run.rosterSubscribers + run.participantSubscribers).toLocaleString('en-US')}${run.failedToOpen > 0 ? ` (${run.failedToOpen} failed)` : ''}`,
        run.openSeconds.toFixed(1),
        `${callsPerInterval(run, 'GetParticipant').toFixed(0)} (${run.watchedKeys.GetParticipant}, ${run.intervalsS.GetParticipant})`,
        `${callsPerInterval(run, 'ListParticipants').toFixed(1)} (${run.watchedKeys.ListParticipants}, ${run.intervalsS.ListParticipants})`,
      ]),
    ),
    '',
    `Delivery: from the moment the bench sends a \`Participant Published\` event to \`POST /events/ivs\` (the emulator changed first so the revalidation agrees) to the moment each subscriber process receives the update; ${sizes.rosterRounds} roster updates, then one for each watched participant that had not published (posted 16 at a time). Goal: roster p99 within ${goals.rosterP99Ms} ms. Memory: the replicas' RSS with every subscriber open and idle, minus before any, per subscriber. Goal: under ${goals.bytesPerIdleSubscriber / 1024} KB.`,
    '',
    row([
      'replicas',
      'roster p50 / p99 / max ms',
      'participant p50 / p99 / max ms',
      'missed',
      'KB / roster subscriber',
      'KB / participant subscriber',
      'KB / subscriber (all)',
      'gateway CPU µs / delivery',
    ]),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...runs.map((run) =>
      row([
        fleet(run),
        ms(run.roster),
        ms(run.participants),
        `${run.roster.missed + run.participants.missed}`,
        kb(run.rssBytes.idle - run.rssBytes.withParticipants, run.rosterSubscribers),
        kb(run.rssBytes.withParticipants - run.rssBytes.before, run.participantSubscribers),
        kb(run.rssBytes.idle - run.rssBytes.before, run.rosterSubscribers + run.participantSubscribers),
        run.cpuUsPerDelivery === null ? '?' : run.cpuUsPerDelivery.toFixed(0),
      ]),
    ),
    '',
  ];
  return lines.join('\n');
}
