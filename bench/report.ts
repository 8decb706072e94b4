import type { AuthMode } from './auth.js';
import type { LoadMeasurement } from './load.js';
import type { MachineDescription } from './machine.js';
import type { Scenario, ScenarioId, ScenarioLoad, TargetId } from './scenarios.js';
import { targetDefinitions } from './targets.js';

/** What the emulator counted during one measured run. */
export interface UpstreamCounts {
  /** Every GetParticipant call received, throttled and retried ones included. */
  calls: number;
  served: number;
  throttled: number;
  rejected: number;
  /** calls ÷ requests sent. */
  callsPerRequest: number;
  callsPerSecond: number;
  servedPerSecond: number;
  /** The most calls that arrived within any 1-second window (the quota's own measure). */
  maxCallsInAnyWindow: number;
  /** The most calls made for one participant. */
  maxCallsForOneKey: number;
}

export interface RunResult {
  scenario: ScenarioId;
  target: TargetId;
  measurement: LoadMeasurement;
  /** Responses per second, failures included. */
  reqPerSec: number;
  /** Successful responses (2xx without GraphQL errors) per second. */
  okPerSec: number;
  upstream: UpstreamCounts;
  /** The target's VmHWM at the end of the run (startup, warm-up and measurement), in MB. */
  peakRssMb: number | null;
  /** The target's own CPU time (user + system) during the measured run, per response, in µs. */
  cpuUsPerResponse: number | null;
  /** Measured requests ran out of fresh keys; later ones may have hit a cache. */
  keysWrapped: boolean;
  /** The first response to the scenario's request (hot key only), to check baselines answer alike. */
  probeBody?: string;
}

export interface RunFailure {
  scenario: ScenarioId;
  target: TargetId;
  error: string;
}

export interface BenchSettings {
  mode: 'full' | 'quick';
  runtime: 'node' | 'tsx';
  auth: AuthMode;
  latencyMs: number;
  generatedParticipants: number;
  gatewayEnv: Record<string, string>;
  profile: boolean;
  /** Targets on CPU 1, load generator and emulator on CPU 0. */
  pinned: boolean;
}

export interface BenchReport {
  machine: MachineDescription;
  loadAverageAtEnd: number;
  settings: BenchSettings;
  scenarios: Pick<
    Scenario,
    'id' | 'title' | 'summary' | 'quotaTps' | 'gatewayEnv' | 'targets' | 'load' | 'distinctKeysPerRequest'
  >[];
  runs: RunResult[];
  failures: RunFailure[];
  /** Runs that worked but should not have looked like this (e.g. no successful request at all). */
  problems: string[];
  /** Markdown summaries of the targets' CPU profiles, when --profile was given. */
  profiles: string[];
}

export interface GoalCheck {
  scenario: ScenarioId | 'all';
  goal: string;
  measured: string;
  /** null: not measured in this run. */
  met: boolean | null;
}

const find = (report: BenchReport, scenario: ScenarioId, target: TargetId): RunResult | undefined =>
  report.runs.find((run) => run.scenario === scenario && run.target === target);

/** The issue's targets, side by side with what this run measured. Goals, not assertions. */
export function checkGoals(report: BenchReport): GoalCheck[] {
  const checks: GoalCheck[] = [];
  const gateway = (scenario: ScenarioId): RunResult | undefined => find(report, scenario, 'gateway');
  const hot = gateway('hot-key');
  const bare = find(report, 'hot-key', 'bare-apollo');
  // Issue 13: a cached read at twice bare Apollo's rate with every layer on; JWT verification may cost some of it.
  for (const [target, goal] of [
    ['gateway', 2],
    ['gateway-jwt', 1.5],
  ] as const) {
    const run = find(report, 'hot-key', target);
    if (run === undefined) continue;
    const ratio = bare === undefined ? null : run.okPerSec / bare.okPerSec;
    checks.push({
      scenario: 'hot-key',
      goal: `${target} req/s ≥ ${goal.toFixed(1)}× bare-apollo (${target === 'gateway' ? report.settings.auth : 'jwt'} auth, logs, metrics)`,
      measured: ratio === null ? 'bare-apollo not run' : `${ratio.toFixed(2)}×`,
      met: ratio === null ? null : ratio >= goal,
    });
  }
  if (hot !== undefined) {
    checks.push({
      scenario: 'hot-key',
      goal: 'p99 < 10 ms at 50 connections',
      measured: `${ms(hot.measurement.latencyMs.p99)} ms`,
      met: hot.measurement.latencyMs.p99 < 10,
    });
  }
  const cold = gateway('cold-quota');
  if (cold !== undefined) {
    checks.push({
      scenario: 'cold-quota',
      goal: 'upstream calls never above the quota (≤ 5 in any 1 s)',
      measured: `${cold.upstream.maxCallsInAnyWindow} in the busiest second`,
      met: cold.upstream.maxCallsInAnyWindow <= 5,
    });
  }
  for (const [scenario, distinct] of [
    ['fan-out', 10],
    ['federation', 25],
  ] as const) {
    const run = gateway(scenario);
    if (run === undefined) continue;
    checks.push({
      scenario,
      goal: `upstream calls per request = distinct keys (${distinct})`,
      measured: run.upstream.callsPerRequest.toFixed(2),
      met: run.upstream.callsPerRequest <= distinct + 1e-9,
    });
  }
  const herd = gateway('herd');
  if (herd !== undefined) {
    checks.push({
      scenario: 'herd',
      goal: 'upstream calls for the one cold key = 1',
      measured: String(herd.upstream.calls),
      met: herd.upstream.calls === 1,
    });
  }
  const peaks = report.runs.filter((run) => run.target.startsWith('gateway') && run.peakRssMb !== null);
  if (peaks.length > 0) {
    const peak = Math.max(...peaks.map((run) => run.peakRssMb ?? 0));
    checks.push({
      scenario: 'all',
      goal: 'gateway peak RSS < 200 MB',
      measured: `${peak.toFixed(0)} MB`,
      met: peak < 200,
    });
  }
  return checks;
}

/** gateway ÷ bare-apollo (req/s) and gateway ÷ naive (upstream calls), per scenario. */
export function ratios(report: BenchReport, scenario: ScenarioId): string[] {
  const gateway = find(report, scenario, 'gateway');
  if (gateway === undefined) return [];
  const lines: string[] = [];
  const bare = find(report, scenario, 'bare-apollo');
  lines.push(
    bare === undefined
      ? 'gateway ÷ bare-apollo req/s: n/a'
      : `gateway ÷ bare-apollo req/s: ${(gateway.okPerSec / bare.okPerSec).toFixed(2)}× (successful responses/s)`,
  );
  const jwt = find(report, scenario, 'gateway-jwt');
  if (jwt !== undefined && bare !== undefined) {
    lines.push(
      `gateway-jwt ÷ bare-apollo req/s: ${(jwt.okPerSec / bare.okPerSec).toFixed(2)}× (successful responses/s)`,
    );
  }
  const naive = find(report, scenario, 'naive');
  if (naive === undefined) {
    lines.push('gateway ÷ naive upstream calls: n/a');
  } else {
    // The herd is one burst: compare the calls it caused in total, not per request.
    const totals = scenario === 'herd';
    const ours = totals ? gateway.upstream.calls : gateway.upstream.callsPerRequest;
    const theirs = totals ? naive.upstream.calls : naive.upstream.callsPerRequest;
    const show = totals ? fmt : small;
    const unit = totals ? 'calls for the burst' : 'calls per request';
    lines.push(
      `gateway ÷ naive upstream ${unit}: ${theirs === 0 ? 'n/a' : small(ours / theirs)} (${show(ours)} vs ${show(theirs)})`,
    );
  }
  return lines;
}

interface Column {
  header: string;
  value(run: RunResult): string;
  align?: 'left';
}

const ms = (value: number): string =>
  value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
const fmt = (value: number): string =>
  Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 2 });
const pct = (part: number, whole: number): string => (whole === 0 ? '-' : `${((part / whole) * 100).toFixed(1)}%`);
/** Requests that got a response or definitely failed; excludes those cut off when a timed run ended. */
const concluded = (run: RunResult): number => run.measurement.responses + run.measurement.socketErrors;
/** 2 decimals, or 2 significant digits for small values (0.00023 calls per request is not 0). */
const small = (value: number): string =>
  value === 0 || Math.abs(value) >= 0.1 ? value.toFixed(2) : value.toPrecision(2);
const failed = (run: RunResult): number =>
  run.measurement.responses - run.measurement.ok + run.measurement.socketErrors;

const columns = {
  target: { header: 'target', value: (run) => run.target, align: 'left' },
  reqPerSec: { header: 'req/s', value: (run) => fmt(Math.round(run.reqPerSec)) },
  ok: { header: 'ok', value: (run) => pct(run.measurement.ok, concluded(run)) },
  p50: { header: 'p50 ms', value: (run) => ms(run.measurement.latencyMs.p50) },
  p90: { header: 'p90 ms', value: (run) => ms(run.measurement.latencyMs.p90) },
  p99: { header: 'p99 ms', value: (run) => ms(run.measurement.latencyMs.p99) },
  max: { header: 'max ms', value: (run) => ms(run.measurement.latencyMs.max) },
  errors: { header: 'errors', value: (run) => fmt(failed(run)) },
  callsPerRequest: { header: 'calls/req', value: (run) => small(run.upstream.callsPerRequest) },
  calls: { header: 'upstream calls', value: (run) => fmt(run.upstream.calls) },
  callsPerSecond: { header: 'calls/s', value: (run) => run.upstream.callsPerSecond.toFixed(2) },
  maxWindow: { header: 'max calls in 1 s', value: (run) => String(run.upstream.maxCallsInAnyWindow) },
  throttled: { header: 'throttled (429)', value: (run) => fmt(run.upstream.throttled) },
  cpu: {
    header: 'CPU µs/resp',
    value: (run) => (run.cpuUsPerResponse === null ? '-' : fmt(Math.round(run.cpuUsPerResponse))),
  },
  rss: { header: 'peak RSS MB', value: (run) => (run.peakRssMb === null ? '-' : run.peakRssMb.toFixed(0)) },
  client: { header: 'client CPU', value: (run) => `${Math.round(run.measurement.clientCpu * 100)}%` },
} satisfies Record<string, Column>;

function columnsFor(load: ScenarioLoad): Column[] {
  const c = columns;
  switch (load.kind) {
    case 'duration':
      return [c.target, c.reqPerSec, c.ok, c.p50, c.p99, c.errors, c.callsPerRequest, c.cpu, c.rss, c.client];
    case 'amount':
      return [
        c.target,
        c.ok,
        c.p50,
        c.p90,
        c.p99,
        c.max,
        c.callsPerSecond,
        c.maxWindow,
        c.throttled,
        c.callsPerRequest,
        c.errors,
        c.rss,
      ];
    case 'burst':
      return [c.target, c.ok, c.p50, c.p99, c.max, c.calls, c.throttled, c.errors, c.rss];
  }
}

function rowsFor(report: BenchReport, scenario: BenchReport['scenarios'][number]): string[][] {
  const cols = columnsFor(scenario.load);
  const allTargets = Object.keys(targetDefinitions) as TargetId[];
  return allTargets.map((target) => {
    const run = find(report, scenario.id, target);
    if (run !== undefined) return cols.map((col) => col.value(run));
    const failure = report.failures.find((f) => f.scenario === scenario.id && f.target === target);
    const reason = failure ? 'FAILED' : scenario.targets.includes(target) ? 'not run' : 'n/a';
    return cols.map((col, i) => (i === 0 ? target : i === 1 ? reason : ''));
  });
}

function loadLine(load: ScenarioLoad): string {
  switch (load.kind) {
    case 'duration':
      return `${load.connections} connections for ${load.durationS} s`;
    case 'amount':
      return `${load.amount} requests over ${load.connections} connections`;
    case 'burst':
      return `${load.clients} simultaneous requests`;
  }
}

function errorNotes(report: BenchReport, scenario: ScenarioId): string[] {
  return report.runs
    .filter((run) => run.scenario === scenario && failed(run) > 0)
    .map((run) => {
      const codes = Object.entries(run.measurement.errorCodes)
        .sort(([, a], [, b]) => b - a)
        .map(([code, count]) => `${code}×${count}`)
        .join(', ');
      const sockets = run.measurement.socketErrors > 0 ? `, ${run.measurement.socketErrors} without response` : '';
      return `${run.target} errors: ${codes || 'none parsed'}${sockets} (codes counted over the first 300 failures)`;
    });
}

function otherNotes(report: BenchReport, scenario: ScenarioId): string[] {
  const notes: string[] = [];
  const runs = report.runs.filter((run) => run.scenario === scenario);
  // Only a target that calls IVS can tell a reused key from a fresh one.
  for (const run of runs.filter((r) => r.keysWrapped && targetDefinitions[r.target].callsUpstream)) {
    notes.push(`${run.target} ran out of fresh keys: later requests reused keys (raise --participants)`);
  }
  const reference = runs.find((run) => run.target === 'gateway')?.probeBody;
  for (const run of runs) {
    if (reference !== undefined && run.probeBody !== undefined && run.probeBody !== reference) {
      notes.push(`${run.target} answers the probe request differently from the gateway`);
    }
  }
  return notes;
}

/** The final table for the terminal: one block per scenario, then the goals. */
export function renderTerminal(report: BenchReport): string {
  const out: string[] = [];
  for (const scenario of report.scenarios) {
    out.push('', `${scenario.title} (${loadLine(scenario.load)}) — ${scenario.summary}`);
    const cols = columnsFor(scenario.load);
    const rows = [cols.map((col) => col.header), ...rowsFor(report, scenario)];
    const widths = cols.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
    for (const row of rows) {
      out.push(
        '  ' +
          row
            .map((cell, i) => (cols[i]?.align === 'left' ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
            .join('  '),
      );
    }
    for (const line of [
      ...ratios(report, scenario.id),
      ...errorNotes(report, scenario.id),
      ...otherNotes(report, scenario.id),
    ]) {
      out.push(`  ${line}`);
    }
  }
  out.push('', 'Targets (goals, not assertions):');
  for (const check of checkGoals(report)) {
    const mark = check.met === null ? '?' : check.met ? 'met' : 'NOT MET';
    out.push(`  [${mark}] ${check.scenario}: ${check.goal} — measured ${check.measured}`);
  }
  for (const failure of report.failures) out.push(`FAILED ${failure.scenario}/${failure.target}: ${failure.error}`);
  for (const problem of report.problems) out.push(`PROBLEM ${problem}`);
  return out.join('\n');
}

/** The report as Markdown; `baseline` adds the header of bench/BASELINE.md. */
export function renderMarkdown(report: BenchReport, options: { baseline: boolean }): string {
  const m = report.machine;
  const s = report.settings;
  const out: string[] = [];
  if (options.baseline) {
    out.push(
      '# Benchmark baseline',
      '',
      'Generated by `npm run bench -- --baseline`; refresh it deliberately, on a quiet machine, and commit the result.',
      'Numbers from one machine are comparable only with numbers from the same machine: compare ratios, not absolutes.',
      'How the harness works and how to read these tables: [bench/README.md](README.md).',
      '',
    );
  } else {
    out.push('# Benchmark run', '');
  }
  out.push(
    '## Machine',
    '',
    '| | |',
    '|---|---|',
    `| CPU | ${m.cpuModel} |`,
    `| cores | ${m.cores} |`,
    `| memory | ${m.memoryGiB} GiB |`,
    `| OS | ${m.kernel} |`,
    `| Node | ${m.node} |`,
    `| date | ${m.date} |`,
    `| commit | ${m.commit} |`,
    `| load average (1 min) at start / end | ${m.loadAverageAtStart.toFixed(2)} / ${report.loadAverageAtEnd.toFixed(2)} |`,
    '',
    `Settings: ${s.mode} run, targets run as ${s.runtime === 'node' ? 'compiled JS (`node`, tsc output)' : '`node --import tsx`'}, ` +
      `gateway auth ${s.auth}, emulator latency ${s.latencyMs} ms per GetParticipant, ${fmt(s.generatedParticipants)} generated participants` +
      (Object.keys(s.gatewayEnv).length > 0
        ? `, gateway env ${Object.entries(s.gatewayEnv)
            .map(([k, v]) => `\`${k}=${v}\``)
            .join(' ')}`
        : '') +
      '. Every target runs in its own process, restarted for every scenario; the load generator (autocannon) and the emulator run in two more' +
      (s.pinned ? ' (targets pinned to CPU 1, load generator and emulator to CPU 0).' : ' (no CPU pinning).'),
    '',
  );
  if (m.loadAverageAtStart > 0.5 || report.loadAverageAtEnd > 2.5) {
    out.push(
      `> Noise warning: the load average shows other work on this ${m.cores}-core machine during the run; absolute numbers are lower and noisier than on a quiet machine.`,
      '',
    );
  }
  out.push('## Results', '');
  for (const scenario of report.scenarios) {
    const env = Object.entries(scenario.gatewayEnv)
      .map(([k, v]) => `\`${k}=${v}\``)
      .join(' ');
    out.push(
      `### ${scenario.title}`,
      '',
      `${scenario.summary} Load: ${loadLine(scenario.load)}.${env === '' ? '' : ` Gateway env: ${env}.`}`,
      '',
    );
    const cols = columnsFor(scenario.load);
    out.push(
      `| ${cols.map((col) => col.header).join(' | ')} |`,
      `|${cols.map((col) => (col.align === 'left' ? '---' : '---:')).join('|')}|`,
    );
    for (const row of rowsFor(report, scenario)) out.push(`| ${row.join(' | ')} |`);
    out.push('');
    for (const line of [
      ...ratios(report, scenario.id),
      ...errorNotes(report, scenario.id),
      ...otherNotes(report, scenario.id),
    ]) {
      out.push(`- ${line}`);
    }
    out.push('');
  }
  out.push('## Targets (goals, not assertions)', '', '| scenario | goal | measured | met |', '|---|---|---|---|');
  for (const check of checkGoals(report)) {
    out.push(
      `| ${check.scenario} | ${check.goal} | ${check.measured} | ${check.met === null ? '?' : check.met ? 'yes' : '**no**'} |`,
    );
  }
  out.push(
    '',
    '## Columns',
    '',
    '- **req/s**: responses per second, failures included; **ok**: share of concluded requests (answered, or failed without an answer) that got a 2xx without GraphQL `errors`.',
    '- **p50/p90/p99/max ms**: latency of the responses that arrived, measured by the load generator.',
    '- **errors**: non-2xx responses, responses with GraphQL `errors`, and requests that got no response.',
    '- **calls/req**: GetParticipant calls the emulator received (throttled and retried ones included) ÷ requests sent.',
    '- **max calls in 1 s**: the most calls that arrived within any 1-second window (throttled ones included): the quota is 5. **throttled (429)**: calls the emulator refused for quota.',
    '- **CPU µs/resp**: CPU time (user + system) the target process used during the measured run ÷ responses: cost independent of how busy the load generator was.',
    "- **peak RSS MB**: the target's VmHWM, startup and warm-up included.",
    '- **client CPU**: share of one core the load generator used; near 100% it, not the target, may be the limit.',
    '',
    '## Targets measured',
    '',
    ...Object.values(targetDefinitions).map((t) => `- \`${t.id}\`: ${t.description}.`),
    '',
  );
  if (report.failures.length > 0 || report.problems.length > 0) {
    out.push('## Harness problems', '');
    for (const failure of report.failures)
      out.push(`- ${failure.scenario}/${failure.target} failed: ${failure.error.split('\n')[0]}`);
    for (const problem of report.problems) out.push(`- ${problem}`);
    out.push('');
  }
  if (report.profiles.length > 0) out.push('## CPU profiles (measured part of each run)', '', ...report.profiles, '');
  return out.join('\n');
}
