import { hashApiKey } from '../src/auth/apiKeys.js';
import { demoParticipantsQuery } from '../test/helpers/queries.js';
import { demo, startStack, type Stack } from '../test/helpers/stack.js';
import { summarise, type LatencySummary } from './load.js';

/**
 * The "noisy neighbour" scenario (issue 10): one greedy caller keeps the quota queue full with queries
 * of many cold participants while a modest caller asks for one cold participant at a time. Run once
 * with the fair queue and once with plain FIFO, against an in-process gateway and emulator with IVS's
 * 5 TPS quota: the quota, not CPU, decides these waits, so no child processes are needed.
 */
export interface NoisyNeighbourRun {
  readonly policy: 'fair' | 'fifo';
  readonly modest: { readonly answered: number; readonly throttled: number; readonly waitMs: LatencySummary };
  readonly greedy: { readonly lookups: number; readonly throttled: number };
  readonly ivsCalls: number;
  readonly ivsThrottled: number;
}

const keys = { greedy: 'bench-greedy-key-0123', modest: 'bench-modest-key-0123' };
const participantId = (index: number) => `p-${String(index).padStart(4, '0')}`;

async function ask(stack: Stack, key: string, ids: string[]): Promise<{ ms: number; throttled: number }> {
  const started = performance.now();
  const { body } = await stack.graphql(demoParticipantsQuery(ids), undefined, { 'x-api-key': key });
  const throttled = (body.errors ?? []).filter((error) => error.extensions?.['code'] === 'THROTTLED').length;
  return { ms: performance.now() - started, throttled };
}

/** How long the modest client keeps asking, and how big the greedy queries are. */
export interface NoisyNeighbourSize {
  readonly durationS: number;
  readonly greedyBatch: number;
  /** UPSTREAM_DEADLINE_MS: greedy lookups still queued give up after it, which bounds the run's tail. */
  readonly deadlineMs: number;
}

export const noisyNeighbourSizes = {
  full: { durationS: 15, greedyBatch: 40, deadlineMs: 8000 },
  quick: { durationS: 3, greedyBatch: 10, deadlineMs: 3000 },
} as const satisfies Record<string, NoisyNeighbourSize>;

async function runPolicy(policy: 'fair' | 'fifo', size: NoisyNeighbourSize): Promise<NoisyNeighbourRun> {
  const stack = await startStack({
    env: {
      AUTH_MODE: 'api-key',
      AUTH_API_KEYS: JSON.stringify([
        { name: 'greedy', sha256: hashApiKey(keys.greedy), stages: ['*'] },
        { name: 'modest', sha256: hashApiKey(keys.modest), stages: ['*'] },
      ]),
      UPSTREAM_QUEUE_POLICY: policy,
      UPSTREAM_QUEUE_MAX: '200',
      UPSTREAM_QUEUE_MAX_PER_CALLER: '200',
      LIMIT_PARTICIPANTS_PER_REQUEST: '100',
      UPSTREAM_DEADLINE_MS: String(size.deadlineMs),
    },
    emulator: { quota: { callsPerSecond: 5 }, generatedParticipants: { ...demo, count: 9000 } },
  });
  try {
    let next = 0;
    const cold = (count: number) => Array.from({ length: count }, () => participantId((next += 1)));
    const endsAt = performance.now() + size.durationS * 1000;
    const greedy = { lookups: 0, throttled: 0 };
    // Two greedy clients, each keeping a query of cold participants in flight: the queue is never empty.
    const greedyClients = [0, 1].map(async () => {
      while (performance.now() < endsAt) {
        const result = await ask(stack, keys.greedy, cold(size.greedyBatch));
        greedy.lookups += size.greedyBatch;
        greedy.throttled += result.throttled;
      }
    });
    const waits: number[] = [];
    let modestThrottled = 0;
    // Let the greedy backlog build first, as it would on a busy gateway.
    await stack.emulator.waitForCalls(5);
    while (performance.now() < endsAt) {
      const result = await ask(stack, keys.modest, cold(1));
      waits.push(result.ms);
      modestThrottled += result.throttled;
    }
    await Promise.all(greedyClients);
    const stats = stack.emulator.stats();
    return {
      policy,
      modest: { answered: waits.length, throttled: modestThrottled, waitMs: summarise(waits) },
      greedy,
      ivsCalls: stats.calls,
      ivsThrottled: stats.throttled,
    };
  } finally {
    await stack.close();
  }
}

/** Both policies, one after the other. */
export async function runNoisyNeighbour(size: NoisyNeighbourSize): Promise<NoisyNeighbourRun[]> {
  return [await runPolicy('fair', size), await runPolicy('fifo', size)];
}

/** The scenario's table, for the terminal and the Markdown report. */
export function renderNoisyNeighbour(runs: readonly NoisyNeighbourRun[], size: NoisyNeighbourSize): string {
  const ms = (value: number) => String(Math.round(value));
  return [
    '### Noisy neighbour (fair queue vs FIFO)',
    '',
    `Two greedy clients keep ${size.greedyBatch}-participant queries of cold keys in flight; one modest client asks for one`,
    `cold participant at a time for ${size.durationS} s. 5 TPS quota at the emulator, UPSTREAM_DEADLINE_MS=${size.deadlineMs}.`,
    'Wait = the modest request as its client sees it (`npm run bench -- --only noisy-neighbour`).',
    '',
    '| policy | modest requests | modest p50 ms | modest p99 ms | modest THROTTLED | greedy lookups | greedy THROTTLED | IVS calls | IVS throttled |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...runs.map(
      (run) =>
        `| ${run.policy} | ${run.modest.answered} | ${ms(run.modest.waitMs.p50)} | ${ms(run.modest.waitMs.p99)} | ${run.modest.throttled} | ${run.greedy.lookups} | ${run.greedy.throttled} | ${run.ivsCalls} | ${run.ivsThrottled} |`,
    ),
    '',
  ].join('\n');
}
