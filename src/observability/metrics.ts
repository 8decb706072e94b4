import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FleetObserver, FleetState } from '../upstream/fleet.js';
import type { BreakerState, UpstreamObservers } from '../upstream/observer.js';
import { quotaDomainText } from '../upstream/quota/domain.js';

/** Everything /metrics exposes, on one gateway-owned registry (several gateways may share a process in tests). */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Hooks for the upstream layer (connectBackend's `observer`): every series labelled with its IVS operation. */
  readonly upstreamObservers: UpstreamObservers;
  httpRequest(labels: { method: string; route: string; status: number }, seconds: number): void;
  /** `outcome`: `ok`, or the first error code of the response. */
  graphqlOperation(labels: { type: string; outcome: string }, seconds: number): void;
  authRejected(failure: string): void;
  /** Hooks for the Redis-shared parts (connectBackend's `fleetObserver`). */
  readonly fleetObserver: FleetObserver;
  /** One request to the EventBridge endpoint, by what became of it (see src/http/eventsRoute.ts). */
  eventReceived(outcome: string): void;
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
  // Every upstream series names its IVS operation; the per-limiter and per-breaker ones also their quota domain
  // (`account:region:operation`), since each operation in each region has its own limiter and breaker.
  const upstreamCalls = new Histogram({
    name: 'ivs_upstream_call_duration_seconds',
    help: 'Calls to IVS by operation and outcome (OK or the error code); _count is the number of calls.',
    labelNames: ['operation', 'outcome'],
    buckets: latencyBuckets,
    registers,
  });
  const cacheLookups = new Counter({
    name: 'ivs_cache_lookups_total',
    help: 'Answer cache lookups by IVS operation and result: hit, negative_hit (cached NOT_FOUND), miss, stale (served expired).',
    labelNames: ['operation', 'result'],
    registers,
  });
  const flightsJoined = new Counter({
    name: 'ivs_coalesced_lookups_total',
    help: 'Lookups that joined a call already in flight instead of making their own, by IVS operation.',
    labelNames: ['operation'],
    registers,
  });
  const queueLength = new Gauge({
    name: 'ivs_limiter_queue_length',
    help: 'Lookups waiting for quota, per limiter: one per quota domain (IVS operation, account and region).',
    labelNames: ['quota_domain', 'operation'],
    registers,
  });
  const limiterWait = new Histogram({
    name: 'ivs_limiter_wait_seconds',
    help: 'Time lookups waited for quota before calling IVS, by IVS operation and caller (API key name, jwt or anonymous).',
    labelNames: ['operation', 'caller'],
    buckets: [0, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers,
  });
  const limiterRefused = new Counter({
    name: 'ivs_limiter_refused_total',
    help: 'Lookups refused IVS quota (THROTTLED), by IVS operation, reason (GATEWAY_QUOTA, CALLER_QUEUE_FULL) and caller.',
    labelNames: ['operation', 'reason', 'caller'],
    registers,
  });
  const breaker = new Gauge({
    name: 'ivs_breaker_state',
    help: 'Circuit breaker state per quota domain: 1 for the current state, 0 for the others.',
    labelNames: ['quota_domain', 'operation', 'state'],
    registers,
  });

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
  const eventsReceived = new Counter({
    name: 'ivs_events_received_total',
    help: 'Requests to the EventBridge endpoint by outcome: accepted, duplicate, ignored_<reason>, malformed, unauthorized.',
    labelNames: ['outcome'],
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
    upstreamObservers: {
      forDomain(domain) {
        const { operation } = domain;
        const quotaDomain = quotaDomainText(domain);
        // Every limiter has its series from the start, not from its first waiter.
        queueLength.set({ quota_domain: quotaDomain, operation }, 0);
        return {
          upstreamCall: (outcome, durationMs) => upstreamCalls.observe({ operation, outcome }, durationMs / 1000),
          cacheLookup: (result) => cacheLookups.inc({ operation, result }),
          flightJoined: () => flightsJoined.inc({ operation }),
          limiterQueueLength: (length) => queueLength.set({ quota_domain: quotaDomain, operation }, length),
          limiterWait: (waitMs, caller) => limiterWait.observe({ operation, caller }, waitMs / 1000),
          limiterRefused: (reason, caller) => limiterRefused.inc({ operation, reason, caller }),
          breakerState: (state) => {
            for (const candidate of breakerStates) {
              breaker.set({ quota_domain: quotaDomain, operation, state: candidate }, candidate === state ? 1 : 0);
            }
          },
        };
      },
    },
    httpRequest: ({ method, route, status }, seconds) =>
      httpDuration.observe({ method, route, status_code: String(status) }, seconds),
    graphqlOperation: ({ type, outcome }, seconds) =>
      operationDuration.observe({ operation_type: type, outcome }, seconds),
    authRejected: (reason) => authRejections.inc({ reason }),
    fleetObserver: { fleetState: setFleetState },
    eventReceived: (outcome) => eventsReceived.inc({ outcome }),
  };
}
