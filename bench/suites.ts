import type { BenchContext, Options, SuiteId } from './options.js';
import { warmupKeyPool } from './options.js';
import { runFleetBench } from './fleet.js';
import { describeJoinRuns, runJoinBench } from './join.js';
import { liveSizes, liveSizesFor, runLiveBench, type LiveSizes } from './live.js';
import { noisyNeighbourSizes, renderNoisyNeighbour, runNoisyNeighbour } from './noisyNeighbour.js';
import { describeRosterRuns, runRosterBench } from './roster.js';
import { fullSizes, KeySpace, quickSizes } from './scenarios.js';

/** A suite's Markdown section of the report and what went wrong in it (each fails the run). */
export interface SuiteOutcome {
  section: string;
  problems: string[];
}

/** A bench beyond the per-target load scenarios: its own processes, its own section of the report. */
export interface Suite {
  /** Starts only gateways, so a --targets list without `gateway` leaves it out. */
  gatewayOnly: boolean;
  /** The line announcing it. */
  describe(options: Options): string;
  run(ctx: BenchContext): Promise<SuiteOutcome>;
}

function durationS(options: Options): number {
  return options.durationS ?? (options.quick ? quickSizes : fullSizes).durationS;
}

function liveRunSizes(options: Options): LiveSizes {
  if (options.liveSubscribers !== undefined) return liveSizesFor(options.liveSubscribers);
  return options.quick ? liveSizes.quick : liveSizes.full;
}

/** Every suite, keyed by its --only id. */
export const suites: Record<SuiteId, Suite> = {
  // In-process gateway and emulator: see bench/noisyNeighbour.ts.
  'noisy-neighbour': {
    gatewayOnly: false,
    describe: (options) =>
      `noisy-neighbour: fair queue vs FIFO, ${noisyNeighbourSizes[options.quick ? 'quick' : 'full'].durationS} s each …`,
    async run(ctx) {
      const size = noisyNeighbourSizes[ctx.options.quick ? 'quick' : 'full'];
      return { section: renderNoisyNeighbour(await runNoisyNeighbour(size), size), problems: [] };
    },
  },
  roster: {
    gatewayOnly: false,
    describe: () => 'roster: gateway, 50 connections, caches on then off …',
    async run(ctx) {
      const runs = await runRosterBench({
        ...ctx,
        auth: await ctx.auth(ctx.options.auth),
        durationS: durationS(ctx.options),
        latencyMs: ctx.options.latencyMs,
      });
      const served = runs.every((run) => run.participantsPerSecond > 0);
      return { section: describeRosterRuns(runs).join('\n'), problems: served ? [] : ['roster: no roster was served'] };
    },
  },
  join: {
    gatewayOnly: false,
    describe: () => 'join: participant tokens, API vs self-signed …',
    async run(ctx) {
      const runs = await runJoinBench({ ...ctx, latencyMs: ctx.options.latencyMs, quick: ctx.options.quick });
      const problems = [
        ...(runs.some((run) => run.minted === 0) ? ['join: no token was minted'] : []),
        ...(runs.some((run) => run.ivsThrottles > 0) ? ['join: IVS throttled a mint'] : []),
      ];
      return { section: describeJoinRuns(runs, ctx.options.quick), problems };
    },
  },
  fleet: {
    gatewayOnly: true,
    describe: () => 'fleet · 3 gateway replicas with and without Redis …',
    async run(ctx) {
      const section = await runFleetBench(
        {
          ...ctx,
          auth: await ctx.auth(ctx.options.auth),
          keys: new KeySpace(ctx.options.participants, warmupKeyPool),
          latencyMs: ctx.options.latencyMs,
          quick: ctx.options.quick,
          hotKeyDurationS: durationS(ctx.options),
          gatewayEnv: ctx.options.gatewayEnv,
        },
        ctx.log,
      );
      return { section, problems: [] };
    },
  },
  live: {
    gatewayOnly: true,
    describe(options) {
      const sizes = liveRunSizes(options);
      return `live · ${sizes.rosterSubscribers} roster + ${sizes.participantSubscribers} participant subscribers, 1 replica then 3 with Redis …`;
    },
    run: async (ctx) =>
      runLiveBench(
        {
          ...ctx,
          auth: await ctx.auth(ctx.options.auth),
          participants: ctx.options.participants,
          latencyMs: ctx.options.latencyMs,
          sizes: liveRunSizes(ctx.options),
          gatewayEnv: ctx.options.gatewayEnv,
        },
        ctx.log,
      ),
  },
};
