import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { startRedisServer, type RedisServer } from '../test/helpers/redis.js';
import type { BenchAuth } from './auth.js';
import type { EntryResolver } from './build.js';
import type { EmulatorAdmin, EmulatorCounters } from './emulatorAdmin.js';
import { graphqlBody, hotKey, singleParticipantQuery } from './fixtures.js';
import { sustained } from './load.js';
import type { ChildServer } from './processes.js';
import type { KeySpace } from './scenarios.js';
import { startTarget, targetDefinitions } from './targets.js';

/**
 * Issue 9's comparison: three gateway replicas against one emulator with its 5 TPS quota on, sharing
 * one Redis or each on its own, for a burst of distinct cold keys and a herd on one cold key; then the
 * hot-key cost of the shared cache on one replica (the response cache off, so every request reaches it).
 */
export interface FleetBenchContext {
  readonly entries: EntryResolver;
  readonly emulatorUrl: string;
  readonly emulator: EmulatorAdmin;
  readonly auth: BenchAuth;
  readonly keys: KeySpace;
  readonly logsDir: string;
  readonly latencyMs: number;
  readonly quick: boolean;
  readonly hotKeyDurationS: number;
  /** `--gateway-env`, on every replica. */
  readonly gatewayEnv: Record<string, string>;
}

type Mode = 'redis' | 'alone';

interface RoundResult {
  readonly mode: Mode;
  readonly load: 'burst' | 'herd';
  readonly requests: number;
  readonly ok: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly upstream: EmulatorCounters;
}

interface HotKeyResult {
  readonly label: string;
  readonly reqPerSec: number;
  readonly okRatio: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuUsPerResponse: number | null;
}

const replicas = 3;
const quotaTps = 5;

/** Runs the comparison and returns it as a Markdown section (also printed by the runner). */
export async function runFleetBench(ctx: FleetBenchContext, log: (line: string) => void): Promise<string> {
  const burstKeys = ctx.quick ? 15 : 35;
  const herdClients = ctx.quick ? 100 : 300;
  const rounds: RoundResult[] = [];
  for (const mode of ['alone', 'redis'] as const) {
    const redis = mode === 'redis' ? await startRedisServer() : undefined;
    const gateways = await startReplicas(ctx, mode, redis, { GRAPHQL_RESPONSE_CACHE_TTL_SECONDS: '0' });
    try {
      await ctx.emulator.configure({ quotaTps, latencyMs: ctx.latencyMs });
      for (const load of ['burst', 'herd'] as const) {
        // The previous round's starts leave every quota window first, so each round starts from an idle quota.
        await delay(1200);
        await ctx.emulator.reset();
        const herdKey = ctx.keys.measured();
        const bodies =
          load === 'burst'
            ? Array.from({ length: burstKeys }, () => graphqlBody(singleParticipantQuery, { ...ctx.keys.measured() }))
            : Array.from({ length: herdClients }, () => graphqlBody(singleParticipantQuery, { ...herdKey }));
        const timings = await Promise.all(
          bodies.map((body, i) => timed(gateways[i % replicas] as ChildServer, body, ctx.auth.headers)),
        );
        const upstream = await ctx.emulator.stats();
        const sorted = timings.map((t) => t.ms).sort((a, b) => a - b);
        const round: RoundResult = {
          mode,
          load,
          requests: bodies.length,
          ok: timings.filter((t) => t.ok).length,
          p50Ms: quantile(sorted, 0.5),
          p99Ms: quantile(sorted, 0.99),
          upstream,
        };
        rounds.push(round);
        log(
          `        fleet ${mode} ${load}: ${round.ok}/${round.requests} ok, ${upstream.calls} IVS calls, ` +
            `${upstream.throttled} throttled, max ${upstream.maxCallsInAnyWindow} in 1 s, p99 ${round.p99Ms.toFixed(0)} ms`,
        );
      }
    } finally {
      await Promise.all(gateways.map((gateway) => gateway.stop()));
      await redis?.stop();
    }
  }

  await ctx.emulator.configure({ quotaTps: null, latencyMs: ctx.latencyMs });
  const hot: HotKeyResult[] = [];
  const variants: { label: string; mode: Mode; env: Record<string, string> }[] = [
    { label: 'one process, no Redis', mode: 'alone', env: {} },
    { label: 'Redis, near copy 500 ms (default)', mode: 'redis', env: {} },
    { label: 'Redis, no near copy (every lookup a Redis GET)', mode: 'redis', env: { REDIS_NEAR_CACHE_TTL_MS: '0' } },
  ];
  for (const variant of variants) {
    const redis = variant.mode === 'redis' ? await startRedisServer() : undefined;
    const [gateway] = await startReplicas(
      ctx,
      variant.mode,
      redis,
      { GRAPHQL_RESPONSE_CACHE_TTL_SECONDS: '0', ...variant.env },
      1,
    );
    try {
      const body = graphqlBody(singleParticipantQuery, { ...hotKey });
      // Warm-up: JIT, sockets, the first IVS call and the caches, outside the measured part.
      await sustained({
        url: (gateway as ChildServer).url,
        connections: 50,
        durationS: 1,
        timeoutS: 10,
        headers: ctx.auth.headers,
        nextBody: () => body,
        progressBar: false,
      });
      const cpuBefore = gateway?.cpuTimeMs() ?? null;
      const measurement = await sustained({
        url: (gateway as ChildServer).url,
        connections: 50,
        durationS: ctx.hotKeyDurationS,
        timeoutS: 10,
        headers: ctx.auth.headers,
        nextBody: () => body,
        progressBar: false,
      });
      const cpuAfter = gateway?.cpuTimeMs() ?? null;
      const result: HotKeyResult = {
        label: variant.label,
        reqPerSec: measurement.responses / measurement.durationS,
        okRatio: measurement.ok / Math.max(1, measurement.responses),
        p50Ms: measurement.latencyMs.p50,
        p99Ms: measurement.latencyMs.p99,
        cpuUsPerResponse:
          cpuBefore === null || cpuAfter === null || measurement.responses === 0
            ? null
            : ((cpuAfter - cpuBefore) * 1000) / measurement.responses,
      };
      hot.push(result);
      log(
        `        fleet hot key, ${variant.label}: ${Math.round(result.reqPerSec)} req/s, ${result.cpuUsPerResponse?.toFixed(0) ?? '?'} µs/resp`,
      );
    } finally {
      await gateway?.stop();
      await redis?.stop();
    }
  }
  return renderFleet(rounds, hot, { burstKeys, herdClients, hotKeyDurationS: ctx.hotKeyDurationS });
}

async function startReplicas(
  ctx: FleetBenchContext,
  mode: Mode,
  redis: RedisServer | undefined,
  env: Record<string, string>,
  count = replicas,
): Promise<ChildServer[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      startTarget(ctx, targetDefinitions.gateway, `fleet-${mode}-${i}`, {
        ...ctx.auth.env,
        LOG_LEVEL: 'warn',
        ...ctx.gatewayEnv,
        // Production replicas sharing Redis must share the cursor secret too (src/config.ts refuses otherwise).
        ...(redis && {
          REDIS_URL: redis.url,
          REDIS_FLEET_SIZE_HINT: String(count),
          GRAPHQL_CURSOR_SECRET: 'bench-fleet-cursor-secret-shared-by-every-replica',
        }),
        ...env,
      }),
    ),
  );
}

async function timed(gateway: ChildServer, body: string, headers: Record<string, string>) {
  const started = performance.now();
  try {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return { ok: response.ok && !text.includes('"errors"'), ms: performance.now() - started };
  } catch {
    return { ok: false, ms: performance.now() - started };
  }
}

/** The q-quantile of ascending `sorted` (nearest rank); 0 for none. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

function renderFleet(
  rounds: readonly RoundResult[],
  hot: readonly HotKeyResult[],
  sizes: { burstKeys: number; herdClients: number; hotKeyDurationS: number },
): string {
  const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
  const lines = [
    '### Fleet: 3 replicas with and without Redis',
    '',
    `Three gateway replicas, one emulator with its ${quotaTps} TPS quota on, response cache off. Burst: ${sizes.burstKeys} distinct cold participants at once, round-robin over the replicas. Herd: ${sizes.herdClients} requests for one cold participant at once, round-robin.`,
    '',
    row(['replicas', 'load', 'ok', 'IVS calls', 'throttled (429)', 'max calls in 1 s', 'p50 ms', 'p99 ms']),
    row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...rounds.map((r) =>
      row([
        r.mode === 'redis' ? '3 + Redis' : '3 alone',
        r.load,
        `${((100 * r.ok) / Math.max(1, r.requests)).toFixed(1)}%`,
        r.upstream.calls,
        r.upstream.throttled,
        r.upstream.maxCallsInAnyWindow,
        r.p50Ms.toFixed(0),
        r.p99Ms.toFixed(0),
      ]),
    ),
    '',
    `Hot key (alice) on one replica, 50 connections for ${sizes.hotKeyDurationS} s, response cache off so every request reads the participant cache:`,
    '',
    row(['participant cache', 'req/s', 'ok', 'p50 ms', 'p99 ms', 'CPU µs/resp']),
    row(['---', '---:', '---:', '---:', '---:', '---:']),
    ...hot.map((h) =>
      row([
        h.label,
        Math.round(h.reqPerSec).toLocaleString('en-US'),
        `${(100 * h.okRatio).toFixed(1)}%`,
        h.p50Ms.toFixed(2),
        h.p99Ms.toFixed(2),
        h.cpuUsPerResponse === null ? '?' : h.cpuUsPerResponse.toFixed(0),
      ]),
    ),
    '',
  ];
  return lines.join('\n');
}
