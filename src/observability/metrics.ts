import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FleetObserver, FleetState } from '../redis/fleet.js';
import type { BreakerState, UpstreamObserver } from '../upstream/observer.js';

/** Everything /metrics exposes, on one gateway-owned registry (several gateways may share a process in tests). */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Hooks for the upstream layer (connectBackend's `observer`). */
  readonly upstreamObserver: UpstreamObserver;
  httpRequest(labels: { method: string; route: string; status: number }, seconds: number): void;
  /** `outcome`: `ok`, or the first error code of the response. */
  graphqlOperation(labels: { type: string; outcome: string }, seconds: number): void;
  authRejected(failure: string): void;
  /** Hooks for the Redis-shared parts (connectBackend's `fleetObserver`). */
  readonly fleetObserver: FleetObserver;
}

const breakerStates: readonly BreakerState[] = ['closed', 'open', 'half_open'];
// Seconds; upstream calls sit in the 10 ms - 3 s range, operations add queueing up to the lookup deadline.
const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Creates the metrics of one gateway: HTTP, GraphQL, authentication, upstream, and Node.js process defaults. */
export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  const httpDuration = new Histogram({
    name: 'gateway_http_request_duration_seconds',
    help: 'HTTP requests by method, route (the matched pattern, not the raw URL) and status code.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: latencyBuckets,
    registers,
  });
  const operationDuration = new Histogram({
    name: 'gateway_graphql_operation_duration_seconds',
    help: 'GraphQL operations by type and outcome (ok, or the first error code in the response).',
    labelNames: ['operation_type', 'outcome'],
    buckets: latencyBuckets,
    registers,
  });
  const authRejections = new Counter({
    name: 'gateway_auth_rejections_total',
    help: 'Requests refused before GraphQL: missing or invalid credentials, or keys unavailable.',
    labelNames: ['reason'],
    registers,
  });
  const upstreamCalls = new Histogram({
    name: 'ivs_upstream_call_duration_seconds',
    help: 'GetParticipant calls to IVS by outcome (OK or the error code); _count is the number of calls.',
    labelNames: ['outcome'],
    buckets: latencyBuckets,
    registers,
  });
  const cacheLookups = new Counter({
    name: 'ivs_cache_lookups_total',
    help: 'Participant cache lookups by result: hit, negative_hit (cached NOT_FOUND), miss, stale (served expired).',
    labelNames: ['result'],
    registers,
  });
  const coalesced = new Counter({
    name: 'ivs_coalesced_lookups_total',
    help: 'Lookups that joined a call already in flight instead of making their own.',
    registers,
  });
  const queueLength = new Gauge({
    name: 'ivs_limiter_queue_length',
    help: 'Lookups waiting for the quota limiter.',
    registers,
  });
  const limiterWait = new Histogram({
    name: 'ivs_limiter_wait_seconds',
    help: 'Time lookups waited for the quota limiter before calling IVS, by caller (API key name, jwt or anonymous).',
    labelNames: ['caller'],
    buckets: [0, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers,
  });
  const limiterRefused = new Counter({
    name: 'ivs_limiter_refused_total',
    help: 'Lookups refused IVS quota (THROTTLED), by reason (GATEWAY_QUOTA, CALLER_QUEUE_FULL) and caller.',
    labelNames: ['reason', 'caller'],
    registers,
  });
  const breaker = new Gauge({
    name: 'ivs_breaker_state',
    help: 'Circuit breaker state in front of IVS: 1 for the current state, 0 for the others.',
    labelNames: ['state'],
    registers,
  });
  const setBreaker = (state: BreakerState): void => {
    for (const candidate of breakerStates) breaker.set({ state: candidate }, candidate === state ? 1 : 0);
  };
  setBreaker('closed');

  const redisUp = new Gauge({
    name: 'gateway_redis_up',
    help: 'Whether this replica reaches Redis (1) or runs degraded on its local share and cache (0); absent without REDIS_URL.',
    registers,
  });
  const fleetReplicas = new Gauge({
    name: 'gateway_fleet_replicas',
    help: 'Replicas heartbeating into Redis at the last heartbeat, this one included.',
    registers,
  });
  const sharedSlots = new Gauge({
    name: 'ivs_quota_slots_shared',
    help: 'Per quota domain: 1 while starts come from the fleet-wide window in Redis, 0 while from this replica’s local share.',
    labelNames: ['quota_domain'],
    registers,
  });
  const setFleetState = (state: FleetState): void => {
    redisUp.set(state.redis === 'up' ? 1 : 0);
    if (state.replicas !== null) fleetReplicas.set(state.replicas);
    for (const [domain, mode] of Object.entries(state.slots)) {
      sharedSlots.set({ quota_domain: domain }, mode === 'shared' ? 1 : 0);
    }
  };

  return {
    registry,
    upstreamObserver: {
      upstreamCall: (outcome, durationMs) => upstreamCalls.observe({ outcome }, durationMs / 1000),
      cacheLookup: (result) => cacheLookups.inc({ result }),
      coalesced: () => coalesced.inc(),
      limiterQueueLength: (length) => queueLength.set(length),
      limiterWait: (waitMs, caller) => limiterWait.observe({ caller }, waitMs / 1000),
      limiterRefused: (reason, caller) => limiterRefused.inc({ reason, caller }),
      breakerState: setBreaker,
    },
    httpRequest: ({ method, route, status }, seconds) =>
      httpDuration.observe({ method, route, status_code: String(status) }, seconds),
    graphqlOperation: ({ type, outcome }, seconds) =>
      operationDuration.observe({ operation_type: type, outcome }, seconds),
    authRejected: (reason) => authRejections.inc({ reason }),
    fleetObserver: { fleetState: setFleetState },
  };
}
