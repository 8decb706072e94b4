import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { exportPKCS8, generateKeyPair } from 'jose';
import { Agent, request } from 'node:http';
import type { EntryResolver } from './build.js';
import type { EmulatorAdmin } from './emulatorAdmin.js';
import { benchSession, graphqlBody } from './fixtures.js';
import { summarise } from './load.js';
import { startTarget, targetDefinitions } from './targets.js';

/**
 * The join scenario (issue 19): a burst of participant-token mints from many callers (API keys that may mint),
 * against one gateway process, once through CreateParticipantToken (the emulator at IVS's 50 TPS for it) and
 * once with self-signed ES384 tokens (no IVS call). Every mint is its own request; `concurrency` of them are
 * in flight at any time. The gateway runs with its defaults: a mint that cannot start before the deadline, or
 * finds the queue full, is THROTTLED at once, so the API run shows how the quota is shared, not a hang.
 */
export interface JoinBenchContext {
  readonly entries: EntryResolver;
  readonly emulatorUrl: string;
  readonly emulator: EmulatorAdmin;
  readonly logsDir: string;
  readonly latencyMs: number;
  readonly quick: boolean;
}

export interface JoinRun {
  readonly mode: 'API (CreateParticipantToken)' | 'self-signed (ES384)';
  readonly requests: number;
  readonly minted: number;
  readonly throttled: number;
  readonly otherErrors: number;
  /** The other errors by `extensions.code` (or `network`). */
  readonly errorsByCode: Readonly<Record<string, number>>;
  readonly seconds: number;
  readonly tokensPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly ivsCalls: number;
  readonly ivsThrottles: number;
  /** Tokens per caller: the fewest and the most any caller got. */
  readonly perCaller: { readonly min: number; readonly max: number };
}

export const joinSizes = {
  full: { requests: 10_000, callers: 20, concurrency: 200 },
  quick: { requests: 100, callers: 5, concurrency: 50 },
} as const;

const publicKeyArn = 'arn:aws:ivs:us-east-1:123456789012:public-key/bench0000-0000-0000-0000-000000000000';
const mintQuery = `mutation Join($input: CreateParticipantTokenInput!) {
  createParticipantToken(input: $input) { token participantId expirationTime }
}`;

// 50 starts granted together leave the gateway over tens of milliseconds (each is signed in turn), more on a
// loaded 2-core host; the window's margin has to cover that spread or IVS's own one-second window sees 51.
const marginForBursts = { UPSTREAM_QUOTA_MARGIN_MS: '400' };

interface Caller {
  readonly name: string;
  readonly key: string;
}

/** Both modes, each on a freshly started gateway. */
export async function runJoinBench(ctx: JoinBenchContext): Promise<JoinRun[]> {
  const size = ctx.quick ? joinSizes.quick : joinSizes.full;
  const callers: Caller[] = Array.from({ length: size.callers }, (_, i) => ({
    name: `app-${i}`,
    key: randomBytes(24).toString('base64url'),
  }));
  const keys = callers.map(({ name, key }) => ({
    name,
    sha256: createHash('sha256').update(key).digest('hex'),
    stages: ['*'],
    mint: ['SUBSCRIBE', 'PUBLISH'],
  }));
  const auth = { AUTH_MODE: 'api-key', AUTH_API_KEYS: JSON.stringify(keys) };
  const { privateKey } = await generateKeyPair('ES384', { extractable: true });
  const signing = { IVS_TOKEN_SIGNING_KEY: await exportPKCS8(privateKey), IVS_TOKEN_PUBLIC_KEY_ARN: publicKeyArn };
  return [
    await runMode(ctx, 'API (CreateParticipantToken)', auth, callers, size),
    await runMode(ctx, 'self-signed (ES384)', { ...auth, ...signing }, callers, size),
  ];
}

async function runMode(
  ctx: JoinBenchContext,
  mode: JoinRun['mode'],
  env: Record<string, string>,
  callers: readonly Caller[],
  size: { readonly requests: number; readonly concurrency: number },
): Promise<JoinRun> {
  const target = targetDefinitions.gateway;
  const name = `join-${mode.startsWith('API') ? 'api' : 'signed'}`;
  const child = await startTarget(ctx, target, name, { ...env, LOG_LEVEL: 'warn', ...marginForBursts });
  const agent = new Agent({ keepAlive: true, maxSockets: size.concurrency });
  try {
    // IVS's quotas: 5 per second for the reads (GetStage, which self-signed tokens need once), 50 for the mint.
    await ctx.emulator.configure({ quotaTps: 5, latencyMs: ctx.latencyMs });
    await ctx.emulator.reset();
    const latencies: number[] = [];
    const mintedBy = new Map(callers.map((caller) => [caller.name, 0]));
    let minted = 0;
    let throttled = 0;
    let otherErrors = 0;
    const errorsByCode: Record<string, number> = {};
    const otherError = (code: string): void => {
      otherErrors += 1;
      errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
    };
    let next = 0;
    const started = performance.now();
    const worker = async (): Promise<void> => {
      while (next < size.requests) {
        const index = next++;
        const caller = callers[index % callers.length] as Caller;
        const body = graphqlBody(mintQuery, {
          input: { stageArn: benchSession.stageArn, userId: `viewer-${index}`, capabilities: ['SUBSCRIBE'] },
        });
        const sent = performance.now();
        try {
          const answer = JSON.parse(await postJson(`${child.url}/graphql`, body, caller.key, agent)) as {
            data?: { createParticipantToken?: { token?: string } } | null;
            errors?: { extensions?: { code?: string } }[];
          };
          latencies.push(performance.now() - sent);
          if (answer.data?.createParticipantToken?.token !== undefined) {
            minted += 1;
            mintedBy.set(caller.name, (mintedBy.get(caller.name) ?? 0) + 1);
          } else if (answer.errors?.[0]?.extensions?.code === 'THROTTLED') throttled += 1;
          else otherError(answer.errors?.[0]?.extensions?.code ?? 'no code');
        } catch {
          otherError('network');
        }
      }
    };
    await Promise.all(Array.from({ length: size.concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    // Calls still in flight when the last answer came are IVS calls too.
    await delay(300);
    const stats = await ctx.emulator.stats();
    const mints = stats.byOperation['CreateParticipantToken'] ?? { calls: 0, throttled: 0 };
    const latency = summarise(latencies);
    const perCaller = [...mintedBy.values()];
    return {
      mode,
      requests: size.requests,
      minted,
      throttled,
      otherErrors,
      errorsByCode,
      seconds,
      tokensPerSecond: minted / seconds,
      p50Ms: latency.p50,
      p99Ms: latency.p99,
      ivsCalls: mints.calls,
      ivsThrottles: mints.throttled,
      perCaller: { min: Math.min(...perCaller), max: Math.max(...perCaller) },
    };
  } finally {
    agent.destroy();
    await ctx.emulator.configure({ quotaTps: null, latencyMs: ctx.latencyMs });
    await child.stop();
  }
}

// node:http with a keep-alive agent: `concurrency` sockets, reused, as a backend's connection pool would.
function postJson(url: string, body: string, apiKey: string, agent: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-api-key': apiKey },
        timeout: 60_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer within 60 s')));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** The report section. */
export function describeJoinRuns(runs: readonly JoinRun[], quick: boolean): string {
  const size = quick ? joinSizes.quick : joinSizes.full;
  const fmt = (value: number, digits = 0) =>
    value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return [
    '## Join (participant tokens)',
    '',
    `${fmt(size.requests)} mints from ${size.callers} API-key callers, ${size.concurrency} in flight, one gateway process at its`,
    'defaults but UPSTREAM_QUOTA_MARGIN_MS=400; the emulator at IVS quotas (50 CreateParticipantToken/s).',
    '`npm run bench -- --only join`.',
    '',
    '| mode | minted | tokens/s | p50 ms | p99 ms | THROTTLED | other errors | CreateParticipantToken calls | IVS throttles | per caller min-max |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...runs.map(
      (run) =>
        `| ${run.mode} | ${fmt(run.minted)} | ${fmt(run.tokensPerSecond, 1)} | ${fmt(run.p50Ms, 1)} | ${fmt(run.p99Ms, 1)} | ${fmt(run.throttled)} | ${run.otherErrors === 0 ? '0' : `${run.otherErrors} ${JSON.stringify(run.errorsByCode)}`} | ${run.ivsCalls} | ${run.ivsThrottles} | ${run.perCaller.min}-${run.perCaller.max} |`,
    ),
    '',
  ].join('\n');
}
