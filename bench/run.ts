import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { authModes, prepareAuth, type AuthMode, type BenchAuth } from './auth.js';
import { prepareRuntime, type EntryResolver, type Runtime } from './build.js';
import { emulatorAdmin, type EmulatorAdmin, type EmulatorCounters } from './emulatorAdmin.js';
import { burst, sustained, type LoadMeasurement } from './load.js';
import { runFleetBench } from './fleet.js';
import { renderMarkdown, renderTerminal, type BenchReport, type RunFailure, type RunResult } from './report.js';
import { freePort, pinSelf, startChild, type ChildServer } from './processes.js';
import {
  fullSizes,
  KeySpace,
  quickSizes,
  scenarios as allScenarios,
  type Scenario,
  type ScenarioId,
  type TargetId,
} from './scenarios.js';
import { targetDefinitions, targetEnv } from './targets.js';
import { noisyNeighbourSizes, renderNoisyNeighbour, runNoisyNeighbour } from './noisyNeighbour.js';
import { describeRosterRuns, rosterId, runRosterBench } from './roster.js';
import { describeJoinRuns, joinId, runJoinBench } from './join.js';
import { liveSizes, liveSizesFor, runLiveBench } from './live.js';

const noisyNeighbourId = 'noisy-neighbour';
const fleetId = 'fleet';
const liveId = 'live';

const usage = `npm run bench [-- options]

  --quick              a couple of seconds per scenario: checks the harness end to end (CI); asserts no timing
  --baseline           full run with default settings, then rewrite bench/BASELINE.md (takes no other option)
  --runtime node|tsx   node (default): compiled JS, the production path; tsx: node --import tsx on the .ts sources
  --auth api-key|jwt|anonymous   how requests authenticate to the gateway (default api-key; jwt: ES256 tokens)
  --latency <ms>       emulator latency per GetParticipant (default 20)
  --duration <s>       measured seconds of the duration-based scenarios (default 10, quick 2)
  --participants <n>   participants the emulator generates for cold keys (default 200000)
  --only <ids>         scenarios to run, comma-separated: ${allScenarios(fullSizes)
    .map((s) => s.id)
    .join(', ')}, noisy-neighbour, ${rosterId}, ${joinId} (participant tokens: API vs self-signed),
                       fleet (3 replicas with and without Redis; needs redis-server),
                       live (subscriptions: 1 replica, then 3 with Redis; needs redis-server)
  --targets <ids>      targets to run, comma-separated: ${Object.keys(targetDefinitions).join(', ')}
  --profile            run every target with node --cpu-prof (open the .cpuprofile files in a profile viewer)
  --pin                pin each target to CPU 1 and the load generator and emulator to CPU 0 (taskset):
                       steadier numbers, no scheduler contention between client and target; off by default
  --gateway-env K=V    extra environment for the gateway (repeatable), e.g. LOG_LEVEL=warn
  --live-subscribers <n>  live: roster subscribers (default 10000, quick 200); n / 10 participant subscribers

Writes bench/results/<date>.{json,md}; child process logs go to bench/results/logs/.`;

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = join(repoRoot, 'bench/results');
// Upstream calls go on after the load generator stops (queued lookups, retries, requests it cut off):
// the emulator's counters are read only once no call arrived for this long.
const quietMs = 300;
const quiesceTimeoutMs = 30_000;
const warmupKeyPool = 10_000;

interface Options {
  quick: boolean;
  baseline: boolean;
  runtime: Runtime;
  auth: AuthMode;
  latencyMs: number;
  durationS: number | undefined;
  participants: number;
  only:
    | (ScenarioId | typeof noisyNeighbourId | typeof rosterId | typeof joinId | typeof fleetId | typeof liveId)[]
    | undefined;
  targets: TargetId[] | undefined;
  profile: boolean;
  pin: boolean;
  gatewayEnv: Record<string, string>;
  liveSubscribers: number | undefined;
}

// With --pin: targets on their own core, everything else (runner, autocannon, emulator) on the other.
const targetCpu = 1;
const harnessCpu = 0;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      baseline: { type: 'boolean', default: false },
      runtime: { type: 'string', default: 'node' },
      auth: { type: 'string', default: 'api-key' },
      latency: { type: 'string', default: '20' },
      duration: { type: 'string' },
      participants: { type: 'string', default: '200000' },
      only: { type: 'string' },
      targets: { type: 'string' },
      profile: { type: 'boolean', default: false },
      pin: { type: 'boolean', default: false },
      'gateway-env': { type: 'string', multiple: true, default: [] },
      'live-subscribers': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  if (values.baseline && argv.filter((arg) => arg !== '--baseline').length > 0) {
    throw new Error('--baseline takes no other option: the baseline is always a full run with default settings');
  }
  const runtime = values.runtime;
  if (runtime !== 'node' && runtime !== 'tsx') throw new Error(`--runtime must be node or tsx, got '${runtime}'`);
  const auth = authModes.find((mode) => mode === values.auth);
  if (auth === undefined) throw new Error(`--auth must be one of ${authModes.join(', ')}, got '${values.auth}'`);
  const number = (name: string, raw: string, min: number): number => {
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) throw new Error(`--${name} must be a number ≥ ${min}, got '${raw}'`);
    return value;
  };
  const scenarioIds: (
    ScenarioId | typeof noisyNeighbourId | typeof rosterId | typeof joinId | typeof fleetId | typeof liveId
  )[] = [...allScenarios(fullSizes).map((s) => s.id), noisyNeighbourId, rosterId, joinId, fleetId, liveId];
  const list = <T extends string>(name: string, raw: string | undefined, known: readonly T[]): T[] | undefined => {
    if (raw === undefined) return undefined;
    const items = raw.split(',').map((item) => item.trim());
    const unknown = items.filter((item) => !(known as readonly string[]).includes(item));
    if (unknown.length > 0) throw new Error(`--${name}: unknown ${unknown.join(', ')}; known: ${known.join(', ')}`);
    return items as T[];
  };
  const gatewayEnv: Record<string, string> = {};
  for (const pair of values['gateway-env']) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--gateway-env expects KEY=VALUE, got '${pair}'`);
    gatewayEnv[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return {
    quick: values.quick,
    baseline: values.baseline,
    runtime,
    auth,
    latencyMs: number('latency', values.latency, 0),
    durationS: values.duration === undefined ? undefined : number('duration', values.duration, 1),
    participants: Math.floor(number('participants', values.participants, warmupKeyPool + 1000)),
    only: list('only', values.only, scenarioIds),
    targets: list('targets', values.targets, Object.keys(targetDefinitions) as TargetId[]),
    profile: values.profile,
    pin: values.pin,
    gatewayEnv,
    liveSubscribers:
      values['live-subscribers'] === undefined
        ? undefined
        : Math.floor(number('live-subscribers', values['live-subscribers'], 10)),
  };
}

interface RunContext {
  options: Options;
  entries: EntryResolver;
  /** Credentials of the run's --auth mode, and of the modes a target asks for itself. */
  auth: (mode: AuthMode) => Promise<BenchAuth>;
  emulatorUrl: string;
  emulator: EmulatorAdmin;
  logsDir: string;
  profileDir: string;
  progressBar: boolean;
}

/** One scenario against one freshly started target: warm up, reset the emulator, measure, collect. */
async function runOne(ctx: RunContext, scenario: Scenario, targetId: TargetId): Promise<RunResult> {
  const target = targetDefinitions[targetId];
  const auth = await ctx.auth(target.auth ?? ctx.options.auth);
  const keys = new KeySpace(ctx.options.participants, warmupKeyPool);
  const requests = scenario.requests(keys);
  const latencyMs = ctx.options.latencyMs;
  await ctx.emulator.configure({ quotaTps: null, latencyMs });

  const port = await freePort();
  const child = await startChild({
    name: targetId,
    nodeArgs: [
      ...(ctx.options.profile
        ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, `--cpu-prof-name=${scenario.id}-${targetId}.cpuprofile`]
        : []),
      ...ctx.entries.nodeArgs(target.entry),
    ],
    env: targetEnv(target, port, ctx.emulatorUrl, {
      ...auth.env,
      ...scenario.gatewayEnv,
      ...ctx.options.gatewayEnv,
    }),
    cwd: ctx.entries.cwd,
    port,
    readyPath: '/healthz',
    logPath: join(ctx.logsDir, `${scenario.id}-${targetId}.log`),
    ...(ctx.options.pin && { cpu: targetCpu }),
  });
  try {
    const probeBody = scenario.id === 'hot-key' ? await probe(child, requests.measured(), auth.headers) : undefined;
    const warmupConnections = scenario.load.kind === 'burst' ? 50 : scenario.load.connections;
    await sustained({
      url: child.url,
      connections: warmupConnections,
      durationS: scenario.warmupS,
      timeoutS: scenario.timeoutS,
      headers: auth.headers,
      nextBody: requests.warmup,
      progressBar: false,
    });
    await quiesce(ctx.emulator);
    await ctx.emulator.configure({ quotaTps: scenario.quotaTps, latencyMs });
    await ctx.emulator.reset();

    const cpuBefore = child.cpuTimeMs();
    const measurement = await measure(ctx, scenario, child.url, auth.headers, requests.measured);
    const cpuAfter = child.cpuTimeMs();
    const stats = await quiesce(ctx.emulator);
    const peakRss = child.peakRssBytes();

    const sent = Math.max(measurement.sent, 1);
    return {
      scenario: scenario.id,
      target: targetId,
      measurement,
      reqPerSec: measurement.responses / measurement.durationS,
      okPerSec: measurement.ok / measurement.durationS,
      upstream: {
        calls: stats.calls,
        served: stats.served,
        throttled: stats.throttled,
        rejected: stats.rejected,
        callsPerRequest: stats.calls / sent,
        callsPerSecond: stats.calls / measurement.durationS,
        maxCallsInAnyWindow: stats.maxCallsInAnyWindow,
        maxCallsForOneKey: Math.max(0, ...Object.values(stats.byKey)),
      },
      peakRssMb: peakRss === null ? null : peakRss / 2 ** 20,
      cpuUsPerResponse:
        cpuBefore === null || cpuAfter === null || measurement.responses === 0
          ? null
          : ((cpuAfter - cpuBefore) * 1000) / measurement.responses,
      keysWrapped: keys.wrapped,
      ...(probeBody !== undefined && { probeBody }),
    };
  } finally {
    await child.stop();
  }
}

/** Prepares each auth mode's credentials the first time a run needs them, then reuses them. */
function credentialsOnce(dir: string): (mode: AuthMode) => Promise<BenchAuth> {
  const prepared = new Map<AuthMode, Promise<BenchAuth>>();
  return (mode) => {
    const auth = prepared.get(mode) ?? prepareAuth(mode, dir);
    prepared.set(mode, auth);
    return auth;
  };
}

/** Waits until no upstream call arrived for `quietMs`; returns the final counters. */
async function quiesce(emulator: EmulatorAdmin): Promise<EmulatorCounters> {
  const deadline = Date.now() + quiesceTimeoutMs;
  let before = await emulator.stats();
  for (;;) {
    await delay(quietMs);
    const after = await emulator.stats();
    if (after.calls === before.calls || Date.now() > deadline) return after;
    before = after;
  }
}

function measure(
  ctx: RunContext,
  scenario: Scenario,
  url: string,
  headers: Record<string, string>,
  next: () => string,
): Promise<LoadMeasurement> {
  const load = scenario.load;
  switch (load.kind) {
    case 'duration':
      return sustained({
        url,
        connections: load.connections,
        durationS: ctx.options.durationS ?? load.durationS,
        timeoutS: scenario.timeoutS,
        headers,
        nextBody: next,
        progressBar: ctx.progressBar,
      });
    case 'amount':
      return sustained({
        url,
        connections: load.connections,
        amount: load.amount,
        timeoutS: scenario.timeoutS,
        headers,
        nextBody: next,
        progressBar: ctx.progressBar,
      });
    case 'burst':
      return burst({
        url,
        clients: load.clients,
        body: next(),
        timeoutS: scenario.timeoutS,
        headers,
      });
  }
}

async function probe(child: ChildServer, body: string, headers: Record<string, string>): Promise<string> {
  const response = await fetch(`${child.url}/graphql`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return response.text();
}

function describeRun(result: RunResult): string {
  const m = result.measurement;
  const failedCount = m.responses - m.ok + m.socketErrors;
  return [
    `${Math.round(result.reqPerSec).toLocaleString('en-US')} req/s`,
    `p50 ${m.latencyMs.p50.toFixed(2)} ms`,
    `p99 ${m.latencyMs.p99.toFixed(2)} ms`,
    `ok ${m.ok}/${m.sent}`,
    `errors ${failedCount}`,
    `upstream ${result.upstream.calls} calls (${result.upstream.callsPerRequest.toPrecision(2)}/req)`,
    `RSS ${result.peakRssMb?.toFixed(0) ?? '?'} MB`,
  ].join(', ');
}

function describeLoad(scenario: Scenario, options: Options): string {
  const load = scenario.load;
  if (load.kind === 'duration') return `${load.connections} conns, ${options.durationS ?? load.durationS} s`;
  if (load.kind === 'amount') return `${load.amount} requests, ${load.connections} conns`;
  return `${load.clients} at once`;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const log = (line: string): void => console.log(line);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const logsDir = join(resultsDir, 'logs');
  const profileDir = join(resultsDir, 'profiles', stamp);
  mkdirSync(logsDir, { recursive: true });
  if (options.profile) mkdirSync(profileDir, { recursive: true });

  const machine = {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    node: process.version,
    date: new Date().toISOString(),
  };
  log(
    `bench: ${options.quick ? 'quick' : 'full'} run on ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}`,
  );

  if (options.pin) {
    if (machine.cores < 2) throw new Error('--pin needs at least 2 CPUs');
    pinSelf(harnessCpu);
  }
  const sizes = options.quick ? quickSizes : fullSizes;
  const selected = allScenarios(sizes).filter((s) => options.only?.includes(s.id) ?? true);
  const entries = prepareRuntime(options.runtime, repoRoot, log);
  const runs: RunResult[] = [];
  const failures: RunFailure[] = [];
  const problems: string[] = [];
  let fleetSection: string | undefined;
  let liveSection: string | undefined;

  let roster = '';
  let joins = '';
  const emulatorPort = await freePort();
  let emulatorChild: ChildServer | undefined;
  try {
    emulatorChild = await startChild({
      name: 'emulator',
      nodeArgs: entries.nodeArgs('src/emulator/main.ts'),
      env: {
        EMULATOR_PORT: String(emulatorPort),
        EMULATOR_GENERATED_PARTICIPANTS: String(options.participants),
        EMULATOR_LATENCY_MS: String(options.latencyMs),
      },
      cwd: entries.cwd,
      port: emulatorPort,
      readyPath: '/_emulator/stats',
      logPath: join(logsDir, 'emulator.log'),
      ...(options.pin && { cpu: harnessCpu }),
    });
    const ctx: RunContext = {
      options,
      entries,
      auth: credentialsOnce(logsDir),
      emulatorUrl: emulatorChild.url,
      emulator: emulatorAdmin(emulatorChild.url),
      logsDir,
      profileDir,
      progressBar: process.stderr.isTTY === true,
    };
    const plan = selected.flatMap((scenario) =>
      scenario.targets
        .filter((target) => options.targets === undefined || options.targets.includes(target))
        .map((target) => ({ scenario, target })),
    );
    for (const [index, { scenario, target }] of plan.entries()) {
      log(`[${index + 1}/${plan.length}] ${scenario.id} · ${target} (${describeLoad(scenario, options)}) …`);
      try {
        const result = await runOne(ctx, scenario, target);
        runs.push(result);
        log(`        ${describeRun(result)}`);
        if (result.measurement.ok === 0) {
          problems.push(`${scenario.id}/${target}: no successful response out of ${result.measurement.sent} requests`);
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        failures.push({ scenario: scenario.id, target, error: message });
        log(`        FAILED: ${message}`);
      }
    }
    if (options.only === undefined || options.only.includes(rosterId)) {
      log(`${rosterId}: gateway, 50 connections, caches on then off …`);
      const rosterRuns = await runRosterBench({
        ...ctx,
        auth: await ctx.auth(options.auth),
        durationS: options.durationS ?? sizes.durationS,
        latencyMs: options.latencyMs,
      });
      roster = `\n${describeRosterRuns(rosterRuns).join('\n')}\n`;
      if (rosterRuns.some((run) => run.participantsPerSecond === 0)) problems.push(`${rosterId}: no roster was served`);
    }
    if (options.only === undefined || options.only.includes(joinId)) {
      log(`${joinId}: participant tokens, API vs self-signed …`);
      const joinRuns = await runJoinBench({ ...ctx, latencyMs: options.latencyMs, quick: options.quick });
      joins = `\n${describeJoinRuns(joinRuns, options.quick)}`;
      if (joinRuns.some((run) => run.minted === 0)) problems.push(`${joinId}: no token was minted`);
      if (joinRuns.some((run) => run.ivsThrottles > 0)) problems.push(`${joinId}: IVS throttled a mint`);
    }
    const fleetWanted =
      (options.only === undefined || options.only.includes(fleetId)) &&
      (options.targets === undefined || options.targets.includes('gateway'));
    if (fleetWanted) {
      log('fleet · 3 gateway replicas with and without Redis …');
      try {
        fleetSection = await runFleetBench(
          {
            ...ctx,
            auth: await ctx.auth(options.auth),
            keys: new KeySpace(options.participants, warmupKeyPool),
            latencyMs: options.latencyMs,
            quick: options.quick,
            hotKeyDurationS: options.durationS ?? sizes.durationS,
            gatewayEnv: options.gatewayEnv,
          },
          log,
        );
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        problems.push(`fleet: ${message}`);
        log(`        FAILED: ${message}`);
      }
    }
    const liveWanted =
      (options.only === undefined || options.only.includes(liveId)) &&
      (options.targets === undefined || options.targets.includes('gateway'));
    if (liveWanted) {
      const liveRunSizes =
        options.liveSubscribers !== undefined
          ? liveSizesFor(options.liveSubscribers)
          : options.quick
            ? liveSizes.quick
            : liveSizes.full;
      log(
        `${liveId} · ${liveRunSizes.rosterSubscribers} roster + ${liveRunSizes.participantSubscribers} participant subscribers, 1 replica then 3 with Redis …`,
      );
      try {
        const result = await runLiveBench(
          {
            ...ctx,
            auth: await ctx.auth(options.auth),
            participants: options.participants,
            latencyMs: options.latencyMs,
            sizes: liveRunSizes,
            gatewayEnv: options.gatewayEnv,
          },
          log,
        );
        liveSection = result.section;
        problems.push(...result.problems);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        problems.push(`${liveId}: ${message}`);
        log(`        FAILED: ${message}`);
      }
    }
  } finally {
    await emulatorChild?.stop();
    entries.dispose();
  }

  const noisyNeighbour =
    options.only === undefined || options.only.includes(noisyNeighbourId)
      ? await runNoisyNeighbourSection(options.quick, log)
      : '';

  const report: BenchReport = {
    machine,
    settings: {
      mode: options.quick ? 'quick' : 'full',
      runtime: options.runtime,
      auth: options.auth,
      latencyMs: options.latencyMs,
      generatedParticipants: options.participants,
      gatewayEnv: options.gatewayEnv,
      profile: options.profile,
      pinned: options.pin,
    },
    scenarios: selected.map(({ id, title, summary, quotaTps, gatewayEnv, targets, load, distinctKeysPerRequest }) => ({
      id,
      title,
      summary,
      quotaTps,
      gatewayEnv,
      targets,
      load:
        load.kind === 'duration' && options.durationS !== undefined ? { ...load, durationS: options.durationS } : load,
      distinctKeysPerRequest,
    })),
    runs,
    failures,
    problems,
  };
  // The fleet comparison, when it ran, as a section of its own after the others.
  const fleet = fleetSection === undefined ? '' : `\n${fleetSection}`;
  const live = liveSection === undefined ? '' : `\n${liveSection}`;
  log(renderTerminal(report) + noisyNeighbour + roster + joins + fleet + live);
  if (options.profile) log(`bench: CPU profiles in bench/results/profiles/${stamp}/`);
  writeFileSync(join(resultsDir, `${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(
    join(resultsDir, `${stamp}.md`),
    renderMarkdown(report, { baseline: false }) + noisyNeighbour + roster + joins + fleet + live,
  );
  log(`\nbench: wrote bench/results/${stamp}.json and .md`);
  if (options.baseline) {
    const baselinePath = join(repoRoot, 'bench/BASELINE.md');
    // Formatted as `npm run lint` (prettier --check .) expects, so a fresh baseline passes CI as is.
    const markdown = await prettier.format(
      renderMarkdown(report, { baseline: true }) +
        noisyNeighbour +
        roster +
        joins +
        fleet +
        live +
        keptHistory(baselinePath),
      { ...(await prettier.resolveConfig(baselinePath)), filepath: baselinePath },
    );
    writeFileSync(baselinePath, markdown);
    log('bench: wrote bench/BASELINE.md');
  }
  return failures.length > 0 || problems.length > 0 ? 1 : 0;
}

/** The fair-queue scenario runs in-process, after the others: see bench/noisyNeighbour.ts. */
async function runNoisyNeighbourSection(quick: boolean, log: (line: string) => void): Promise<string> {
  const size = quick ? noisyNeighbourSizes.quick : noisyNeighbourSizes.full;
  log(`${noisyNeighbourId}: fair queue vs FIFO, ${size.durationS} s each …`);
  return `\n${renderNoisyNeighbour(await runNoisyNeighbour(size), size)}`;
}

/** The hand-written section of BASELINE.md (what was changed, with before/after figures): kept across refreshes. */
const historyHeading = '## Changes measured';

function keptHistory(baselinePath: string): string {
  const previous = existsSync(baselinePath) ? readFileSync(baselinePath, 'utf8') : '';
  const start = previous.indexOf(historyHeading);
  return start < 0 ? '' : `\n${previous.slice(start)}`;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
