import { setTimeout as delay } from 'node:timers/promises';
import type { BenchAuth } from './auth.js';
import type { EntryResolver } from './build.js';
import type { EmulatorAdmin, EmulatorCounters } from './emulatorAdmin.js';
import { benchSession, graphqlBody } from './fixtures.js';
import { sustained } from './load.js';
import { startTarget, targetDefinitions } from './targets.js';

/**
 * The roster scenario: one 100-person roster page with summary fields, at 50 connections, against the emulator
 * at IVS's 5 TPS per operation. It reports served participants per second and IVS calls per served
 * participant, beside the naive alternative (one GetParticipant per participant: 100 calls per roster, so at
 * most 5 participants/s at the quota). Run twice: with the gateway's defaults (caches on) and with every cache
 * off, where each roster costs one ListParticipants call.
 */
export interface RosterBenchContext {
  readonly entries: EntryResolver;
  readonly auth: BenchAuth;
  readonly emulatorUrl: string;
  readonly emulator: EmulatorAdmin;
  readonly logsDir: string;
  readonly durationS: number;
  readonly latencyMs: number;
}

export interface RosterRun {
  readonly variant: 'caches on (defaults)' | 'caches off (coalescing only)';
  readonly rostersPerSecond: number;
  readonly participantsPerSecond: number;
  readonly ivsCalls: Record<string, number>;
  readonly callsPerParticipant: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failed: number;
}

const rosterSize = 100;
const connections = 50;
const quotaTps = 5;
const rosterQuery = `query Roster($stageArn: String!, $sessionId: String!) {
  stageSession(stageArn: $stageArn, sessionId: $sessionId) {
    participants(first: ${rosterSize}) { nodes { participantId userId state published firstJoinTime } }
  }
}`;

const callsByOperation = (stats: EmulatorCounters): Record<string, number> =>
  Object.fromEntries(
    Object.entries(stats.byOperation)
      .filter(([, counts]) => counts.calls > 0)
      .map(([operation, counts]) => [operation, counts.calls]),
  );
const totalCalls = (stats: EmulatorCounters) =>
  Object.values(stats.byOperation).reduce((sum, counts) => sum + counts.calls, 0);

/** Runs both variants, each on a freshly started gateway. */
export async function runRosterBench(ctx: RosterBenchContext): Promise<RosterRun[]> {
  const variants: { variant: RosterRun['variant']; env: Record<string, string> }[] = [
    { variant: 'caches on (defaults)', env: {} },
    {
      variant: 'caches off (coalescing only)',
      env: { UPSTREAM_CACHE_MAX_ENTRIES: '0', GRAPHQL_RESPONSE_CACHE_TTL_SECONDS: '0' },
    },
  ];
  const runs: RosterRun[] = [];
  for (const { variant, env } of variants) runs.push(await runVariant(ctx, variant, env));
  return runs;
}

async function runVariant(
  ctx: RosterBenchContext,
  variant: RosterRun['variant'],
  variantEnv: Record<string, string>,
): Promise<RosterRun> {
  const target = targetDefinitions.gateway;
  const name = `roster-${variantEnv['UPSTREAM_CACHE_MAX_ENTRIES'] === '0' ? 'uncached' : 'cached'}`;
  const child = await startTarget(ctx, target, name, { ...ctx.auth.env, ...variantEnv });
  try {
    await ctx.emulator.configure({ quotaTps, latencyMs: ctx.latencyMs });
    await ctx.emulator.reset();
    const body = graphqlBody(rosterQuery, { ...benchSession });
    const measurement = await sustained({
      url: child.url,
      connections,
      durationS: ctx.durationS,
      timeoutS: 15,
      headers: ctx.auth.headers,
      nextBody: () => body,
      progressBar: false,
    });
    // Calls still in flight when the load stopped are IVS calls too.
    await delay(500);
    const stats = await ctx.emulator.stats();
    const participants = measurement.ok * rosterSize;
    return {
      variant,
      rostersPerSecond: measurement.ok / measurement.durationS,
      participantsPerSecond: participants / measurement.durationS,
      ivsCalls: callsByOperation(stats),
      callsPerParticipant: participants === 0 ? Number.NaN : totalCalls(stats) / participants,
      p50Ms: measurement.latencyMs.p50,
      p99Ms: measurement.latencyMs.p99,
      failed: measurement.responses - measurement.ok + measurement.socketErrors,
    };
  } finally {
    await ctx.emulator.configure({ quotaTps: null, latencyMs: ctx.latencyMs });
    await child.stop();
  }
}

/** The report lines, including the naive alternative's figures at the same quota. */
export function describeRosterRuns(runs: readonly RosterRun[]): string[] {
  const fmt = (value: number, digits = 0) =>
    value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return [
    `## Roster\n\n${rosterSize}-person roster page, summary fields, ${connections} connections, emulator at ${quotaTps} TPS per operation`,
    ...runs.map(
      (run) =>
        `- ${run.variant}: ${fmt(run.participantsPerSecond)} participants/s (${fmt(run.rostersPerSecond, 1)} rosters/s), ` +
        `${run.callsPerParticipant.toPrecision(2)} IVS calls per served participant (${JSON.stringify(run.ivsCalls)}), ` +
        `p50 ${fmt(run.p50Ms, 1)} ms, p99 ${fmt(run.p99Ms, 1)} ms, failed ${run.failed}`,
    ),
    `- naive (GetParticipant for each participant): ${rosterSize} calls per roster = 1.0 IVS call per participant: at most ${quotaTps} participants/s at the quota`,
  ];
}
