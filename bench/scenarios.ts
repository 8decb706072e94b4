import type { ParticipantKey } from '../src/model.js';
import { entitiesQuery, fanOutQuery, generatedKey, graphqlBody, hotKey, singleParticipantQuery } from './fixtures.js';

export type ScenarioId = 'hot-key' | 'cold-quota' | 'fan-out' | 'federation' | 'herd';
export type TargetId = 'gateway' | 'gateway-jwt' | 'bare-apollo' | 'bare-apollo-standalone' | 'naive' | 'raw-http';

export type ScenarioLoad =
  /** autocannon for a fixed duration... */
  | { kind: 'duration'; connections: number; durationS: number }
  /** ...or until a fixed number of responses (no survivorship bias when requests wait seconds)... */
  | { kind: 'amount'; connections: number; amount: number }
  /** ...or one burst of simultaneous requests on pre-opened connections. */
  | { kind: 'burst'; clients: number };

export interface Scenario {
  id: ScenarioId;
  title: string;
  /** One line for the report: what is asked and why. */
  summary: string;
  /** Emulator quota (calls/s) while measuring; null: unlimited. Warm-up always runs without quota. */
  quotaTps: number | null;
  /**
   * Gateway settings for this scenario on top of production defaults. Where the emulator's quota is off,
   * the gateway's own limiter is opened too, so the scenario measures dedupe and cost, not the limiter.
   */
  gatewayEnv: Record<string, string>;
  /** Targets that can answer this scenario meaningfully; the others are reported n/a. */
  targets: readonly TargetId[];
  /** Targets of a --quick run, which proves the harness: each target starts in some scenario, not in all. */
  quickTargets: readonly TargetId[];
  load: ScenarioLoad;
  warmupS: number;
  /** Client-side timeout per request; above the gateway's own 10 s lookup deadline where waits are expected. */
  timeoutS: number;
  /** Distinct participants one measured request names: the upstream calls a perfect gateway would make. */
  distinctKeysPerRequest: number;
  /** Fresh request sources for one run, so every target sees the same key sequence. */
  requests(keys: KeySpace): { measured: () => string; warmup: () => string };
}

/**
 * The generated participants split in two: measured requests take keys from the bottom, upward,
 * so a freshly started target has never seen them; warm-up takes keys from the top (and may wrap).
 */
export class KeySpace {
  private nextMeasured = 0;
  private nextWarmup = 0;
  /** Set when measured requests ran out of fresh keys and started over (later ones may hit a cache). */
  wrapped = false;

  constructor(
    private readonly generated: number,
    private readonly warmupPool: number,
  ) {
    if (generated <= warmupPool) throw new RangeError('need more generated participants than the warm-up pool');
  }

  measured(): ParticipantKey {
    const pool = this.generated - this.warmupPool;
    if (this.nextMeasured >= pool) this.wrapped = true;
    const key = generatedKey(this.nextMeasured % pool, this.generated);
    this.nextMeasured += 1;
    return key;
  }

  warmup(): ParticipantKey {
    const key = generatedKey(this.generated - 1 - (this.nextWarmup % this.warmupPool), this.generated);
    this.nextWarmup += 1;
    return key;
  }
}

const single = (key: ParticipantKey): string => graphqlBody(singleParticipantQuery, { ...key });

function fanOut(aliases: number, distinct: number) {
  const query = fanOutQuery(aliases, distinct);
  return (next: () => ParticipantKey): string => {
    const keys = Array.from({ length: distinct }, next);
    const first = keys[0] ?? hotKey;
    const variables: Record<string, string> = { stageArn: first.stageArn, sessionId: first.sessionId };
    keys.forEach((key, k) => (variables[`k${k}`] = key.participantId));
    return graphqlBody(query, variables);
  };
}

function entities(representations: number, distinct: number) {
  return (next: () => ParticipantKey): string => {
    const keys = Array.from({ length: distinct }, next);
    const reps = Array.from({ length: representations }, (_, i) => ({
      __typename: 'Participant',
      ...(keys[i % distinct] ?? hotKey),
    }));
    return graphqlBody(entitiesQuery, { r: reps });
  };
}

const quotaOff = { UPSTREAM_QUOTA_TPS: '1000000' };
const everyTarget: readonly TargetId[] = [
  'gateway',
  'gateway-jwt',
  'bare-apollo',
  'bare-apollo-standalone',
  'naive',
  'raw-http',
];

export interface ScenarioSizes {
  durationS: number;
  /**
   * Set for --quick: each connection sends this many requests and every answer is awaited, instead of a run
   * for `durationS` whose first answers a loaded machine may not deliver in time. Proves the harness, times nothing.
   */
  requestsPerConnection: number | null;
  warmupS: number;
  /** Requests of the cold-keys-at-quota scenario (it runs to completion, not for a duration). */
  coldRequests: number;
  coldConnections: number;
  herdClients: number;
}

export const fullSizes: ScenarioSizes = {
  durationS: 10,
  requestsPerConnection: null,
  warmupS: 3,
  coldRequests: 60,
  coldConnections: 10,
  herdClients: 1000,
};
export const quickSizes: ScenarioSizes = {
  durationS: 2,
  requestsPerConnection: 2,
  warmupS: 1,
  coldRequests: 5,
  coldConnections: 5,
  herdClients: 100,
};

/** A run for the sizes' duration, or in a quick run a fixed number of requests per connection. */
function timedLoad(connections: number, sizes: ScenarioSizes): ScenarioLoad {
  return sizes.requestsPerConnection === null
    ? { kind: 'duration', connections, durationS: sizes.durationS }
    : { kind: 'amount', connections, amount: connections * sizes.requestsPerConnection };
}

/** The five scenarios of issue 6, sized for a full or a quick run. */
export function scenarios(sizes: ScenarioSizes): Scenario[] {
  const fan = fanOut(20, 10);
  const reps = entities(50, 25);
  return [
    {
      id: 'hot-key',
      title: '1. Cached hot key',
      summary: 'One participant (alice) asked for over and over; emulator quota off, gateway at production defaults.',
      quotaTps: null,
      // Production defaults (limiter at 5 calls/s): the cache should make the limiter irrelevant here.
      gatewayEnv: {},
      targets: everyTarget,
      quickTargets: everyTarget,
      load: timedLoad(50, sizes),
      warmupS: sizes.warmupS,
      timeoutS: 10,
      distinctKeysPerRequest: 1,
      requests: () => {
        const body = single(hotKey);
        return { measured: () => body, warmup: () => body };
      },
    },
    {
      id: 'cold-quota',
      title: '2. Cold distinct keys at the quota',
      summary: `${sizes.coldRequests} requests, each for a participant never asked before, ${sizes.coldConnections} at a time; emulator quota 5 calls/s.`,
      quotaTps: 5,
      gatewayEnv: {},
      targets: ['gateway', 'naive'],
      quickTargets: ['gateway'],
      load: { kind: 'amount', connections: sizes.coldConnections, amount: sizes.coldRequests },
      warmupS: sizes.warmupS,
      timeoutS: 30,
      distinctKeysPerRequest: 1,
      // Warm-up on the hot key: fresh keys would queue behind the gateway's own 5 calls/s limiter and
      // keep spending quota after warm-up ends.
      requests: (keys) => {
        const warm = single(hotKey);
        return { measured: () => single(keys.measured()), warmup: () => warm };
      },
    },
    {
      id: 'fan-out',
      title: '3. Fan-out',
      summary:
        'One query with 20 aliases over 10 distinct participants, fresh ones each request; quota off (emulator and gateway limiter).',
      quotaTps: null,
      gatewayEnv: quotaOff,
      targets: ['gateway', 'bare-apollo', 'naive'],
      quickTargets: ['gateway'],
      load: timedLoad(20, sizes),
      warmupS: sizes.warmupS,
      timeoutS: 10,
      distinctKeysPerRequest: 10,
      requests: (keys) => ({ measured: () => fan(() => keys.measured()), warmup: () => fan(() => keys.warmup()) }),
    },
    {
      id: 'federation',
      title: '4. Federation _entities',
      summary:
        '`_entities` with 50 representations over 25 distinct participants, fresh ones each request; quota off (emulator and gateway limiter).',
      quotaTps: null,
      gatewayEnv: quotaOff,
      targets: ['gateway', 'bare-apollo', 'naive'],
      quickTargets: ['gateway'],
      load: timedLoad(20, sizes),
      warmupS: sizes.warmupS,
      timeoutS: 10,
      distinctKeysPerRequest: 25,
      requests: (keys) => ({ measured: () => reps(() => keys.measured()), warmup: () => reps(() => keys.warmup()) }),
    },
    {
      id: 'herd',
      title: '5. Thundering herd',
      summary: `${sizes.herdClients} simultaneous requests for one cold participant on a freshly started target; emulator quota 5 calls/s.`,
      quotaTps: 5,
      gatewayEnv: {},
      targets: ['gateway', 'naive'],
      quickTargets: ['gateway'],
      load: { kind: 'burst', clients: sizes.herdClients },
      warmupS: sizes.warmupS,
      timeoutS: 30,
      distinctKeysPerRequest: 1,
      // Warm-up on the hot key, as for cold keys: the herd's key must be the only one waiting for quota.
      requests: (keys) => {
        const body = single(keys.measured());
        const warm = single(hotKey);
        return { measured: () => body, warmup: () => warm };
      },
    },
  ];
}
