import { join } from 'node:path';
import type { AuthMode } from './auth.js';
import type { EntryResolver } from './build.js';
import { freePort, startChild, type ChildServer } from './processes.js';
import type { TargetId } from './scenarios.js';

export interface TargetDefinition {
  id: TargetId;
  /** Entry file, relative to the repository root. */
  entry: string;
  /** One line for the report. */
  description: string;
  /** Whether it calls the emulator (and so needs its URL and AWS credentials). */
  callsUpstream: boolean;
  /** For the gateway: how requests authenticate, whatever --auth says (gateway-jwt). */
  auth?: AuthMode;
}

export const targetDefinitions: Record<TargetId, TargetDefinition> = {
  gateway: {
    id: 'gateway',
    entry: 'src/index.ts',
    description: 'this project, started as in production (src/index.ts, NODE_ENV=production, IVS_ENDPOINT=emulator)',
    callsUpstream: true,
  },
  'gateway-jwt': {
    id: 'gateway-jwt',
    entry: 'src/index.ts',
    description: 'the gateway as above with JWT auth (ES256 tokens from a public-key file), whatever --auth says',
    callsUpstream: true,
    auth: 'jwt',
  },
  'bare-apollo': {
    id: 'bare-apollo',
    entry: 'bench/baselines/bareApollo.ts',
    description: 'Apollo Server 5 on Fastify 5 + @as-integrations/fastify (our HTTP stack), constant participant',
    callsUpstream: false,
  },
  'bare-apollo-standalone': {
    id: 'bare-apollo-standalone',
    entry: 'bench/baselines/bareApolloStandalone.ts',
    description: "Apollo Server 5's startStandaloneServer (node:http + express), constant participant",
    callsUpstream: false,
  },
  naive: {
    id: 'naive',
    entry: 'bench/baselines/naive.ts',
    description: 'same schema and HTTP stack, GetParticipant per field/representation via the SDK, no DataLoader/cache',
    callsUpstream: true,
  },
  'raw-http': {
    id: 'raw-http',
    entry: 'bench/baselines/rawHttp.ts',
    description: 'node:http handler returning the hot-key JSON without GraphQL (hot key only)',
    callsUpstream: false,
  },
};

/** Where targets start from: their entries (compiled or tsx), the emulator they call, the folder for their logs. */
export interface TargetHost {
  readonly entries: EntryResolver;
  readonly emulatorUrl: string;
  readonly logsDir: string;
}

/** How one target process starts beyond its environment: extra node flags (--cpu-prof), a CPU to pin it to. */
export interface TargetLaunch {
  readonly nodeArgs?: readonly string[];
  readonly cpu?: number;
}

/**
 * Starts `target` on a free port with its environment (`gatewayEnv` on top for the gateway), logging to
 * `<name>.log` in the logs folder; resolves once /healthz answers.
 */
export async function startTarget(
  host: TargetHost,
  target: TargetDefinition,
  name: string,
  gatewayEnv: Record<string, string>,
  launch: TargetLaunch = {},
): Promise<ChildServer> {
  const port = await freePort();
  return startChild({
    name,
    nodeArgs: [...(launch.nodeArgs ?? []), ...host.entries.nodeArgs(target.entry)],
    env: targetEnv(target, port, host.emulatorUrl, gatewayEnv),
    cwd: host.entries.cwd,
    port,
    readyPath: '/healthz',
    logPath: join(host.logsDir, `${name}.log`),
    ...(launch.cpu !== undefined && { cpu: launch.cpu }),
  });
}

/**
 * Environment of one target: production mode, 127.0.0.1, for upstream callers the emulator plus dummy AWS
 * credentials, and for the gateway `gatewayEnv` (auth, scenario settings, --gateway-env) on top.
 */
function targetEnv(
  target: TargetDefinition,
  port: number,
  emulatorUrl: string,
  gatewayEnv: Record<string, string>,
): Record<string, string> {
  // Production refuses /metrics on the main port without a token.
  const base = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    METRICS_TOKEN: 'bench-scrape-token-0123456789',
    // The herd opens 1,000 connections at once, and the harness its own probes: above the default cap of 1,000.
    HTTP_MAX_CONNECTIONS: '0',
  };
  const upstream: Record<string, string> = target.callsUpstream
    ? {
        IVS_ENDPOINT: emulatorUrl,
        AWS_REGION: 'us-east-1',
        // The default credential chain finds these first and never reaches IMDS or the network.
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
        AWS_EC2_METADATA_DISABLED: 'true',
      }
    : {};
  return { ...base, ...upstream, ...(target.entry === 'src/index.ts' ? gatewayEnv : {}) };
}
