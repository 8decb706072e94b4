import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { WireParticipant } from '../src/emulator/seed.js';
import type { ParticipantKey } from '../src/model.js';
import { startRedisServer, type RedisServer } from '../test/helpers/redis.js';
import type { BenchAuth } from './auth.js';
import type { EntryResolver } from './build.js';
import type { EmulatorAdmin } from './emulatorAdmin.js';
import { generatedKey } from './fixtures.js';
import { quantile } from './fleet.js';
import { wallClockMs, type SubscriberSpec } from './liveProtocol.js';
import { renderLive, type LiveRun } from './liveReport.js';
import { startSubscriberPool, type SubscriberPool } from './liveSubscriberPool.js';
import type { ChildServer } from './processes.js';
import { startTarget, targetDefinitions } from './targets.js';

/**
 * Issue 18's live bench: many `rosterChanged` subscribers on one roster and `participantChanged`
 * subscribers on distinct participants, held by subscriber processes (bench/liveSubscribers.ts), against
 * one gateway and then three sharing a `redis-server`. Measures the IVS calls per refresh interval, the
 * delivery latency of an update that reaches the gateway as an EventBridge event, and RSS per subscriber.
 */
export interface LiveBenchContext {
  readonly entries: EntryResolver;
  readonly emulatorUrl: string;
  readonly emulator: EmulatorAdmin;
  readonly auth: BenchAuth;
  /** Participants the emulator generated (for their ids). */
  readonly participants: number;
  readonly logsDir: string;
  readonly latencyMs: number;
  readonly sizes: LiveSizes;
  /** `--gateway-env`, on every replica. */
  readonly gatewayEnv: Record<string, string>;
}

export interface LiveSizes {
  readonly rosterSubscribers: number;
  readonly participantSubscribers: number;
  /** Subscriber processes: enough that the clients are not what limits delivery. */
  readonly subscriberProcesses: number;
  readonly rosterRounds: number;
  /** Idle seconds over which the emulator's calls are counted (and after which RSS is read). */
  readonly windowS: number;
  readonly deliveryTimeoutMs: number;
  /** The longest the bench waits for the refreshes to reach their steady pace (one GetParticipant interval). */
  readonly maxSteadyWaitS: number;
}

export const liveSizes: { readonly full: LiveSizes; readonly quick: LiveSizes } = {
  full: {
    rosterSubscribers: 10_000,
    participantSubscribers: 1000,
    subscriberProcesses: 4,
    rosterRounds: 5,
    windowS: 20,
    deliveryTimeoutMs: 30_000,
    maxSteadyWaitS: 120,
  },
  quick: {
    rosterSubscribers: 50,
    participantSubscribers: 5,
    subscriberProcesses: 1,
    rosterRounds: 1,
    windowS: 1,
    deliveryTimeoutMs: 10_000,
    // The quick run proves the harness, not the refresh pace: its call counts are not steady-state figures.
    maxSteadyWaitS: 0,
  },
};

/** `--live-subscribers n`: n roster subscribers and n / 10 participant subscribers, the rest as at full size. */
export function liveSizesFor(rosterSubscribers: number): LiveSizes {
  return {
    ...liveSizes.full,
    rosterSubscribers,
    participantSubscribers: Math.max(1, Math.round(rosterSubscribers / 10)),
  };
}

/** carol's session (DemoStage02): a one-page roster, so each refresh of it is one ListParticipants call. */
const rosterWatch: ParticipantKey = {
  stageArn: 'arn:aws:ivs:us-east-1:123456789012:stage/DemoStage02',
  sessionId: 'st-DemoSession02',
  participantId: 'carol',
};

const participantSubscription = `subscription LiveParticipant($stageArn: String!, $sessionId: String!, $participantId: String!) {
  participantChanged(stageArn: $stageArn, sessionId: $sessionId, participantId: $participantId) { participantId published state }
}`;
const rosterSubscription = `subscription LiveRoster($stageArn: String!, $sessionId: String!) {
  rosterChanged(stageArn: $stageArn, sessionId: $sessionId) {
    reset joined { participantId published } changed { participantId published } left { participantId }
  }
}`;

// The gateway's quota opened to 100 calls/s so 1,000 first answers take seconds, and refreshes given a
// tenth of it (10 calls/s per operation): a refresh turn of 100 ms, well above the emulator's latency.
const liveGatewayEnv = {
  UPSTREAM_QUOTA_TPS: '100',
  LIVE_QUOTA_SHARE: '0.1',
  UPSTREAM_QUEUE_MAX: '5000',
  LIVE_MAX_SUBSCRIPTIONS: '100000',
  LIVE_MAX_SUBSCRIPTIONS_PER_CALLER: '100000',
  // Each subscriber is a connection of its own: no connection cap (HTTP_MAX_CONNECTIONS, default 1,000).
  HTTP_MAX_CONNECTIONS: '0',
  LOG_LEVEL: 'warn',
};
const eventsApiKey = randomBytes(24).toString('base64url');
const metricsToken = randomBytes(24).toString('base64url');
// Production replicas sharing Redis must share it (each accepts the others' cursors).
const cursorSecret = randomBytes(32).toString('base64url');
const openConcurrencyPerProcess = 50;
/** Runs one gateway, then three with Redis; returns the Markdown section and what went wrong. */
export async function runLiveBench(
  ctx: LiveBenchContext,
  log: (line: string) => void,
): Promise<{ section: string; problems: string[] }> {
  await ctx.emulator.configure({ quotaTps: null, latencyMs: ctx.latencyMs });
  const runs: LiveRun[] = [];
  const problems: string[] = [];
  for (const [index, replicas] of [1, 3].entries()) {
    const run = await runFleet(ctx, replicas, index, log);
    runs.push(run);
    const label = `live ${replicas} replica${replicas > 1 ? 's' : ''}`;
    if (run.failedToOpen > 0) problems.push(`${label}: ${run.failedToOpen} subscriptions failed (${run.firstError})`);
    if (run.roster.latenciesMs.length === 0) problems.push(`${label}: no roster subscriber received an update`);
  }
  return { section: renderLive(runs, ctx.sizes), problems };
}

async function runFleet(
  ctx: LiveBenchContext,
  replicas: number,
  index: number,
  log: (line: string) => void,
): Promise<LiveRun> {
  const { sizes } = ctx;
  const label = `live ${replicas} replica${replicas > 1 ? 's + Redis' : ''}`;
  // Each fleet takes participants of its own, so none starts from the other's published state.
  const participantKeys = Array.from({ length: sizes.participantSubscribers }, (_, i) =>
    generatedKey(index * sizes.participantSubscribers + i, ctx.participants),
  );
  await ctx.emulator.setPublished(rosterWatch, true);
  const redis = replicas > 1 ? await startRedisServer() : undefined;
  let gateways: ChildServer[] = [];
  let pool: SubscriberPool | undefined;
  try {
    // The subscriber processes load while the gateways start.
    pool = startSubscriberPool({
      processes: sizes.subscriberProcesses,
      connectionParams: ctx.auth.headers,
      concurrency: openConcurrencyPerProcess,
      logPath: join(ctx.logsDir, `live-${replicas}-subscribers.log`),
    });
    gateways = await startReplicas(ctx, replicas, redis);
    await pool.ready();
    // A freshly started gateway is still settling: its RSS is read a moment later.
    await delay(1000);
    const rssBefore = totalRss(gateways);

    const spec = (i: number, query: string, variables: Record<string, unknown>, watches: string): SubscriberSpec => ({
      url: (gateways[i % gateways.length] as ChildServer).url,
      query,
      variables,
      watches,
    });
    const participantsOpened = await pool.open(
      participantKeys.map((key, i) => spec(i, participantSubscription, { ...key }, key.participantId)),
    );
    const participantsAnsweredAt = Date.now();
    const rssWithParticipants = totalRss(gateways);
    const started = Date.now();
    const rosterOpened = await pool.open(
      Array.from({ length: sizes.rosterSubscribers }, (_, i) =>
        spec(i, rosterSubscription, { stageArn: rosterWatch.stageArn, sessionId: rosterWatch.sessionId }, 'carol'),
      ),
    );
    const openSeconds = (Date.now() - started) / 1000;
    log(
      `        ${label}: ${participantsOpened.opened} participant subscribers, then ${rosterOpened.opened} roster subscribers open in ${openSeconds.toFixed(1)} s` +
        ` (${participantsOpened.failed + rosterOpened.failed} failed)`,
    );

    // Idle: only the watchers' refreshes reach the emulator. No participant is due for a refresh until an
    // interval after its first answer: the window starts once they all are, when the pacer runs steadily.
    const intervals = await refreshIntervalsS(gateways[0] as ChildServer);
    const steadyAt = participantsAnsweredAt + Math.min(intervals.GetParticipant, sizes.maxSteadyWaitS) * 1000;
    await delay(Math.max(0, steadyAt - Date.now()));
    await ctx.emulator.reset();
    await delay(sizes.windowS * 1000);
    const counters = await ctx.emulator.stats();
    const rssIdle = totalRss(gateways);

    const cpuBefore = totalCpuMs(gateways);
    const roster = await rosterRounds(ctx, gateways, pool);
    const participants = await participantRound(ctx, gateways, pool, participantKeys, index);
    const cpuMs = totalCpuMs(gateways) - cpuBefore;
    const delivered = roster.latenciesMs.length + participants.latenciesMs.length;
    log(
      `        ${label}: roster p99 ${quantile(roster.latenciesMs, 0.99).toFixed(0)} ms, ` +
        `participant p99 ${quantile(participants.latenciesMs, 0.99).toFixed(0)} ms, ` +
        `${roster.missed + participants.missed} missed`,
    );
    return {
      replicas,
      rosterSubscribers: rosterOpened.opened,
      participantSubscribers: participantsOpened.opened,
      failedToOpen: participantsOpened.failed + rosterOpened.failed,
      ...((participantsOpened.firstError ?? rosterOpened.firstError) !== undefined && {
        firstError: participantsOpened.firstError ?? rosterOpened.firstError,
      }),
      openSeconds,
      windowS: sizes.windowS,
      calls: {
        GetParticipant: counters.byOperation['GetParticipant']?.calls ?? 0,
        ListParticipants: counters.byOperation['ListParticipants']?.calls ?? 0,
      },
      watchedKeys: { GetParticipant: participantKeys.length, ListParticipants: 1 },
      intervalsS: intervals,
      rssBytes: { before: rssBefore, withParticipants: rssWithParticipants, idle: rssIdle },
      roster,
      participants,
      cpuUsPerDelivery: delivered === 0 ? null : (cpuMs * 1000) / delivered,
    };
  } finally {
    await pool?.close();
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await redis?.stop();
  }
}

/**
 * Rounds of one `Participant Published` event for carol each. IVS's `published` means "ever published in the
 * session" and no event clears it, so each round first turns carol off in the emulator alone and lets the
 * roster's refresh carry that to every subscriber (not timed), then turns her on and posts the event (timed).
 */
async function rosterRounds(ctx: LiveBenchContext, gateways: readonly ChildServer[], pool: SubscriberPool) {
  const latenciesMs: number[] = [];
  let missed = 0;
  for (let round = 0; round < ctx.sizes.rosterRounds; round++) {
    await pool.expect({ [rosterWatch.participantId]: false });
    await ctx.emulator.setPublished(rosterWatch, false);
    await pool.arrivals(ctx.sizes.deliveryTimeoutMs);

    await pool.expect({ [rosterWatch.participantId]: true });
    const participant = await ctx.emulator.setPublished(rosterWatch, true);
    const sentAt = await postEvent(gateways[round % gateways.length] as ChildServer, rosterWatch, participant);
    const result = await pool.arrivals(ctx.sizes.deliveryTimeoutMs);
    latenciesMs.push(...result.arrivals.map((arrival) => arrival.atMs - sentAt));
    missed += result.missed;
  }
  return { latenciesMs: latenciesMs.sort((a, b) => a - b), missed, updates: ctx.sizes.rosterRounds };
}

/** One `Participant Published` event for each watched participant that has not published, 16 posted at a time. */
async function participantRound(
  ctx: LiveBenchContext,
  gateways: readonly ChildServer[],
  pool: SubscriberPool,
  keys: readonly ParticipantKey[],
  fleetIndex: number,
) {
  // generateParticipants publishes the even ones: the odd ones start publishing.
  const starting = keys.filter((_, i) => (fleetIndex * keys.length + i) % 2 === 1);
  await pool.expect(Object.fromEntries(starting.map((key) => [key.participantId, true])));
  const sentAt = new Map<string, number>();
  let next = 0;
  const poster = async (): Promise<void> => {
    while (next < starting.length) {
      const i = next++;
      const key = starting[i] as ParticipantKey;
      const participant = await ctx.emulator.setPublished(key, true);
      sentAt.set(key.participantId, await postEvent(gateways[i % gateways.length] as ChildServer, key, participant));
    }
  };
  await Promise.all(Array.from({ length: 16 }, poster));
  const result = await pool.arrivals(ctx.sizes.deliveryTimeoutMs);
  const latenciesMs = result.arrivals.map((arrival) => arrival.atMs - (sentAt.get(arrival.participantId) ?? NaN));
  return { latenciesMs: latenciesMs.sort((a, b) => a - b), missed: result.missed, updates: starting.length };
}

/** POSTs the `Participant Published` event for `participant` as an EventBridge API destination would. */
async function postEvent(gateway: ChildServer, key: ParticipantKey, participant: WireParticipant): Promise<number> {
  const sentAt = wallClockMs();
  const response = await fetch(`${gateway.url}/events/ivs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-events-api-key': eventsApiKey },
    body: JSON.stringify(publishedEvent(key, participant.userId ?? '', new Date(sentAt))),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 202) throw new Error(`POST /events/ivs answered ${response.status}: ${text}`);
  return sentAt;
}

/** The EventBridge `IVS Stage Update` IVS sends when a participant starts publishing. */
function publishedEvent(key: ParticipantKey, userId: string, at: Date) {
  const [, , , region, account] = key.stageArn.split(':');
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'IVS Stage Update',
    source: 'aws.ivs',
    account,
    time: at.toISOString(),
    region,
    resources: [key.stageArn],
    detail: {
      session_id: key.sessionId,
      event_name: 'Participant Published',
      user_id: userId,
      participant_id: key.participantId,
      event_time: at.toISOString(),
    },
  };
}

async function startReplicas(
  ctx: LiveBenchContext,
  count: number,
  redis: RedisServer | undefined,
): Promise<ChildServer[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      startTarget(ctx, targetDefinitions.gateway, `live-${count}-${i}`, {
        ...ctx.auth.env,
        ...liveGatewayEnv,
        EVENTS_API_KEY: eventsApiKey,
        METRICS_TOKEN: metricsToken,
        ...ctx.gatewayEnv,
        ...(redis && {
          REDIS_URL: redis.url,
          REDIS_FLEET_SIZE_HINT: String(count),
          GRAPHQL_CURSOR_SECRET: cursorSecret,
        }),
      }),
    ),
  );
}

/** `ivs_live_refresh_interval_seconds` per operation, as the replica reports it. */
async function refreshIntervalsS(gateway: ChildServer): Promise<Record<'GetParticipant' | 'ListParticipants', number>> {
  const response = await fetch(`${gateway.url}/metrics`, {
    headers: { authorization: `Bearer ${metricsToken}` },
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  const read = (operation: string): number => {
    const match = new RegExp(`^ivs_live_refresh_interval_seconds\\{operation="${operation}"\\} (\\S+)$`, 'm').exec(
      text,
    );
    return match?.[1] === undefined ? NaN : Number(match[1]);
  };
  return { GetParticipant: read('GetParticipant'), ListParticipants: read('ListParticipants') };
}

function totalRss(gateways: readonly ChildServer[]): number {
  return gateways.reduce((sum, gateway) => sum + (gateway.rssBytes() ?? NaN), 0);
}

function totalCpuMs(gateways: readonly ChildServer[]): number {
  return gateways.reduce((sum, gateway) => sum + (gateway.cpuTimeMs() ?? NaN), 0);
}
