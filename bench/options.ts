import { parseArgs } from 'node:util';
import { authModes, type AuthMode, type BenchAuth } from './auth.js';
import type { EntryResolver, Runtime } from './build.js';
import type { EmulatorAdmin } from './emulatorAdmin.js';
import { fullSizes, scenarios, type ScenarioId, type TargetId } from './scenarios.js';
import { targetDefinitions } from './targets.js';

/** The suites beyond the per-target load scenarios (bench/suites.ts), in the order they run and report. */
export const suiteIds = ['noisy-neighbour', 'roster', 'join', 'fleet', 'live'] as const;
export type SuiteId = (typeof suiteIds)[number];

/** The command line, parsed and checked. */
export interface Options {
  quick: boolean;
  baseline: boolean;
  runtime: Runtime;
  auth: AuthMode;
  latencyMs: number;
  durationS: number | undefined;
  participants: number;
  only: (ScenarioId | SuiteId)[] | undefined;
  targets: TargetId[] | undefined;
  profile: boolean;
  pin: boolean;
  gatewayEnv: Record<string, string>;
  liveSubscribers: number | undefined;
}

/** What every scenario and suite of one run shares. */
export interface BenchContext {
  options: Options;
  entries: EntryResolver;
  /** Credentials of the run's --auth mode, and of the modes a target asks for itself. */
  auth: (mode: AuthMode) => Promise<BenchAuth>;
  emulatorUrl: string;
  emulator: EmulatorAdmin;
  logsDir: string;
  profileDir: string;
  progressBar: boolean;
  log: (line: string) => void;
}

/** Generated participants kept apart for warm-up requests, so measured keys stay cold. */
export const warmupKeyPool = 10_000;

export const usage = `npm run bench [-- options]

  --quick              a few seconds per scenario, each target started once: checks the harness end to end (CI);
                       asserts no timing
  --baseline           full run with default settings, then rewrite bench/BASELINE.md (takes no other option)
  --runtime node|tsx   node (default): compiled JS, the production path; tsx: node --import tsx on the .ts sources
  --auth api-key|jwt|anonymous   how requests authenticate to the gateway (default api-key; jwt: ES256 tokens)
  --latency <ms>       emulator latency per GetParticipant (default 20)
  --duration <s>       measured seconds of the duration-based scenarios (default 10; quick runs send 2 requests
                       per connection instead, and the suites run 2 s)
  --participants <n>   participants the emulator generates for cold keys (default 200000)
  --only <ids>         scenarios to run, comma-separated: ${scenarios(fullSizes)
    .map((s) => s.id)
    .join(', ')}, noisy-neighbour, roster, join (participant tokens: API vs self-signed),
                       fleet (3 replicas with and without Redis; needs redis-server),
                       live (subscriptions: 1 replica, then 3 with Redis; needs redis-server)
  --targets <ids>      targets to run, comma-separated: ${Object.keys(targetDefinitions).join(', ')}
  --profile            run every target with node --cpu-prof (open the .cpuprofile files in a profile viewer)
  --pin                pin each target to CPU 1 and the load generator and emulator to CPU 0 (taskset):
                       steadier numbers, no scheduler contention between client and target; off by default
  --gateway-env K=V    extra environment for the gateway (repeatable), e.g. LOG_LEVEL=warn
  --live-subscribers <n>  live: roster subscribers (default 10000, quick 50); n / 10 participant subscribers

Writes bench/results/<date>.{json,md}; child process logs go to bench/results/logs/.`;

function number(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`--${name} must be a number ≥ ${min}, got '${raw}'`);
  return value;
}

function list<T extends string>(name: string, raw: string | undefined, known: readonly T[]): T[] | undefined {
  if (raw === undefined) return undefined;
  const items = raw.split(',').map((item) => item.trim());
  const unknown = items.filter((item) => !(known as readonly string[]).includes(item));
  if (unknown.length > 0) throw new Error(`--${name}: unknown ${unknown.join(', ')}; known: ${known.join(', ')}`);
  return items as T[];
}

function keyValues(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--gateway-env expects KEY=VALUE, got '${pair}'`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

/** Parses `npm run bench` arguments; prints the usage and exits on --help. */
export function parseOptions(argv: string[]): Options {
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
  const runnable: (ScenarioId | SuiteId)[] = [...scenarios(fullSizes).map((s) => s.id), ...suiteIds];
  const liveSubscribers = values['live-subscribers'];
  return {
    quick: values.quick,
    baseline: values.baseline,
    runtime,
    auth,
    latencyMs: number('latency', values.latency, 0),
    durationS: values.duration === undefined ? undefined : number('duration', values.duration, 1),
    participants: Math.floor(number('participants', values.participants, warmupKeyPool + 1000)),
    only: list('only', values.only, runnable),
    targets: list('targets', values.targets, Object.keys(targetDefinitions) as TargetId[]),
    profile: values.profile,
    pin: values.pin,
    gatewayEnv: keyValues(values['gateway-env']),
    liveSubscribers:
      liveSubscribers === undefined ? undefined : Math.floor(number('live-subscribers', liveSubscribers, 10)),
  };
}

/** Whether --only leaves this scenario or suite in. */
export function selected(options: Options, id: ScenarioId | SuiteId): boolean {
  return options.only === undefined || options.only.includes(id);
}
