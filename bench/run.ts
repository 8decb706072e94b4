import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { prepareAuth, type AuthMode, type BenchAuth } from './auth.js';
import { prepareRuntime } from './build.js';
import { emulatorAdmin, type EmulatorAdmin, type EmulatorCounters } from './emulatorAdmin.js';
import { burst, sustained, type LoadMeasurement } from './load.js';
import { parseOptions, selected, suiteIds, warmupKeyPool, type BenchContext, type Options } from './options.js';
import { renderMarkdown, renderTerminal, type BenchReport, type RunFailure, type RunResult } from './report.js';
import { freePort, pinSelf, startChild, type ChildServer } from './processes.js';
import { fullSizes, KeySpace, quickSizes, scenarios, type Scenario, type TargetId } from './scenarios.js';
import { suites } from './suites.js';
import { startTarget, targetDefinitions } from './targets.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = join(repoRoot, 'bench/results');
// Upstream calls go on after the load generator stops (queued lookups, retries, requests it cut off):
// the emulator's counters are read only once no call arrived for this long.
const quietMs = 300;
const quiesceTimeoutMs = 30_000;

// With --pin: targets on their own core, everything else (runner, autocannon, emulator) on the other.
const targetCpu = 1;
const harnessCpu = 0;

/** One scenario against one freshly started target: warm up, reset the emulator, measure, collect. */
async function runOne(ctx: BenchContext, scenario: Scenario, targetId: TargetId): Promise<RunResult> {
  const target = targetDefinitions[targetId];
  const auth = await ctx.auth(target.auth ?? ctx.options.auth);
  const keys = new KeySpace(ctx.options.participants, warmupKeyPool);
  const requests = scenario.requests(keys);
  const latencyMs = ctx.options.latencyMs;
  await ctx.emulator.configure({ quotaTps: null, latencyMs });

  const name = `${scenario.id}-${targetId}`;
  const child = await startTarget(
    ctx,
    target,
    name,
    { ...auth.env, ...scenario.gatewayEnv, ...ctx.options.gatewayEnv },
    {
      // The standard V8 profiler: one .cpuprofile per run, for Chrome DevTools, VS Code or speedscope.
      ...(ctx.options.profile && {
        nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, `--cpu-prof-name=${name}.cpuprofile`],
      }),
      ...(ctx.options.pin && { cpu: targetCpu }),
    },
  );
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
  ctx: BenchContext,
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

/** Each selected scenario on each of its targets, in turn; a target that fails is reported, not fatal. */
async function runScenarios(
  ctx: BenchContext,
  planned: readonly Scenario[],
): Promise<{ runs: RunResult[]; failures: RunFailure[]; problems: string[] }> {
  const { options, log } = ctx;
  const plan = planned.flatMap((scenario) =>
    (options.quick ? scenario.quickTargets : scenario.targets)
      .filter((target) => options.targets?.includes(target) ?? true)
      .map((target) => ({ scenario, target })),
  );
  const runs: RunResult[] = [];
  const failures: RunFailure[] = [];
  const problems: string[] = [];
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
      const message = errorMessage(error);
      failures.push({ scenario: scenario.id, target, error: message });
      log(`        FAILED: ${message}`);
    }
  }
  return { runs, failures, problems };
}

/** The selected suites, in order: each one's report section, and what went wrong in any of them. */
async function runSuites(ctx: BenchContext): Promise<{ sections: string[]; problems: string[] }> {
  const { options, log } = ctx;
  const gatewayTargeted = options.targets?.includes('gateway') ?? true;
  const sections: string[] = [];
  const problems: string[] = [];
  for (const id of suiteIds.filter((id) => selected(options, id))) {
    const suite = suites[id];
    if (suite.gatewayOnly && !gatewayTargeted) continue;
    log(suite.describe(options));
    try {
      const outcome = await suite.run(ctx);
      sections.push(outcome.section);
      problems.push(...outcome.problems);
    } catch (error) {
      problems.push(`${id}: ${errorMessage(error)}`);
      log(`        FAILED: ${errorMessage(error)}`);
    }
  }
  return { sections, problems };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function machineDescription(): BenchReport['machine'] {
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    node: process.version,
    date: new Date().toISOString(),
  };
}

/** The report's settings and scenarios as this run used them. */
function reportSettings(options: Options, planned: readonly Scenario[]): Pick<BenchReport, 'settings' | 'scenarios'> {
  return {
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
    scenarios: planned.map(({ id, title, summary, quotaTps, gatewayEnv, targets, load, distinctKeysPerRequest }) => ({
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
  };
}

/** Writes bench/results/<stamp>.{json,md} and, with --baseline, bench/BASELINE.md. */
async function writeReport(report: BenchReport, suiteText: string, stamp: string, baseline: boolean): Promise<void> {
  writeFileSync(join(resultsDir, `${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(resultsDir, `${stamp}.md`), renderMarkdown(report, { baseline: false }) + suiteText);
  console.log(`\nbench: wrote bench/results/${stamp}.json and .md`);
  if (!baseline) return;
  const baselinePath = join(repoRoot, 'bench/BASELINE.md');
  // Formatted as `npm run lint` (prettier --check .) expects, so a fresh baseline passes CI as is.
  const markdown = await prettier.format(
    renderMarkdown(report, { baseline: true }) + suiteText + keptHistory(baselinePath),
    { ...(await prettier.resolveConfig(baselinePath)), filepath: baselinePath },
  );
  writeFileSync(baselinePath, markdown);
  console.log('bench: wrote bench/BASELINE.md');
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const log = (line: string): void => console.log(line);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const logsDir = join(resultsDir, 'logs');
  const profileDir = join(resultsDir, 'profiles', stamp);
  mkdirSync(logsDir, { recursive: true });
  if (options.profile) mkdirSync(profileDir, { recursive: true });
  const machine = machineDescription();
  log(
    `bench: ${options.quick ? 'quick' : 'full'} run on ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}`,
  );
  if (options.pin) {
    if (machine.cores < 2) throw new Error('--pin needs at least 2 CPUs');
    pinSelf(harnessCpu);
  }
  const planned = scenarios(options.quick ? quickSizes : fullSizes).filter((s) => selected(options, s.id));
  const entries = prepareRuntime(options.runtime, repoRoot, log);
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
    const ctx: BenchContext = {
      options,
      entries,
      auth: credentialsOnce(logsDir),
      emulatorUrl: emulatorChild.url,
      emulator: emulatorAdmin(emulatorChild.url),
      logsDir,
      profileDir,
      progressBar: process.stderr.isTTY === true,
      log,
    };
    const { runs, failures, problems } = await runScenarios(ctx, planned);
    const suiteResults = await runSuites(ctx);
    problems.push(...suiteResults.problems);
    const report: BenchReport = { machine, ...reportSettings(options, planned), runs, failures, problems };
    const suiteText = suiteResults.sections.map((section) => `\n${section}\n`).join('');
    log(renderTerminal(report) + suiteText);
    if (options.profile) log(`bench: CPU profiles in bench/results/profiles/${stamp}/`);
    await writeReport(report, suiteText, stamp, options.baseline);
    return failures.length > 0 || problems.length > 0 ? 1 : 0;
  } finally {
    await emulatorChild?.stop();
    entries.dispose();
  }
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
