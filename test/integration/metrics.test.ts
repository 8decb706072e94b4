import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashApiKey } from '../../src/auth/apiKeys.js';
import { startEmulator } from '../../src/emulator/server.js';
import { ivsReadOperations } from '../../src/ivs/operations/index.js';
import { pollUntil } from '../helpers/poll.js';
import { startGatewayProcess } from '../helpers/process.js';
import { createLogSink, demo, startStack, type Stack } from '../helpers/stack.js';

const apiKey = 'metrics-test-key-0123456789';
const headers = { 'x-api-key': apiKey };
const query = (participantId: string, selection = 'userId attributes { key value }') =>
  `query Lookup { participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "${participantId}") { ${selection} } }`;

/** The value of one sample line, e.g. `name{a="b"} 3`; 0 when absent. */
function sample(metrics: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = metrics
    .split('\n')
    .find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `) ? wanted.every((w) => l.includes(w)) : false));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('observability: /metrics and the per-request log line', () => {
  let stack: Stack;
  const { lines, destination: logs } = createLogSink();

  before(async () => {
    stack = await startStack({
      env: {
        LOG_LEVEL: 'info',
        AUTH_MODE: 'api-key',
        AUTH_API_KEYS: JSON.stringify([{ name: 'dashboard', sha256: hashApiKey(apiKey), stages: ['*'] }]),
        UPSTREAM_CACHE_TTL_MS_BY_OPERATION: 'GetParticipant=60000',
      },
      logDestination: logs,
    });
    stack.emulator.reset();
    lines.length = 0;
    await stack.graphql(query('alice'), undefined, { ...headers, 'x-request-id': 'req-alice-1' });
    // Another selection of the same participant: the participant cache answers.
    await stack.graphql(query('alice', 'state'), undefined, headers);
    // The very same query again: the full-response cache answers, nothing executes.
    await stack.graphql(query('alice'), undefined, headers);
    await stack.graphql(query('ghost'), undefined, headers);
    await stack.graphql(query('bad id'), undefined, headers);
    await stack.graphql(query('alice'));
  });
  after(async () => stack.close());

  test('/metrics is Prometheus text, readable without GraphQL credentials', async () => {
    const response = await fetch(`${stack.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(await response.text(), /# TYPE gateway_http_request_duration_seconds histogram/);
  });

  test('HTTP and GraphQL durations are counted by route, status and outcome', async () => {
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    const http = 'gateway_http_request_duration_seconds_count';
    assert.equal(sample(metrics, http, { method: 'POST', route: '/graphql', status_code: '200' }), 5);
    assert.equal(sample(metrics, http, { method: 'POST', route: '/graphql', status_code: '401' }), 1);
    const operations = 'gateway_graphql_operation_duration_seconds_count';
    assert.equal(sample(metrics, operations, { operation_type: 'query', outcome: 'ok' }), 3);
    assert.equal(sample(metrics, operations, { operation_type: 'query', outcome: 'NOT_FOUND' }), 1);
    assert.equal(sample(metrics, operations, { operation_type: 'query', outcome: 'BAD_USER_INPUT' }), 1);
    assert.equal(sample(metrics, 'gateway_auth_rejections_total', { reason: 'missing' }), 1);
  });

  test('upstream metrics come from the upstream layer: calls by outcome, cache results, breaker state', async () => {
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    assert.equal(sample(metrics, 'ivs_upstream_call_duration_seconds_count', { outcome: 'OK' }), 1);
    assert.equal(sample(metrics, 'ivs_upstream_call_duration_seconds_count', { outcome: 'NOT_FOUND' }), 1);
    assert.equal(sample(metrics, 'ivs_cache_lookups_total', { result: 'hit' }), 1);
    assert.ok(sample(metrics, 'ivs_cache_lookups_total', { result: 'miss' }) >= 2);
    assert.equal(sample(metrics, 'ivs_breaker_state', { state: 'closed' }), 1);
    assert.equal(sample(metrics, 'ivs_breaker_state', { state: 'open' }), 0);
    assert.match(
      metrics,
      /^ivs_limiter_queue_length\{quota_domain="default:us-east-1:GetParticipant",operation="GetParticipant"\} \d+$/m,
    );
    assert.match(metrics, /^process_cpu_user_seconds_total /m);
  });

  test('one log line per GraphQL request: operation, caller, status, duration, upstream cost, error codes', () => {
    const requests = lines.filter((line) => line['msg'] === 'graphql request');
    assert.equal(requests.length, 6);
    const [first, cached, replayed, missing, invalid, anonymous] = requests;
    assert.equal(first?.['reqId'], 'req-alice-1');
    assert.equal(first?.['operationName'], 'Lookup');
    assert.equal(first?.['operationType'], 'query');
    assert.equal(first?.['principal'], 'api-key:dashboard');
    assert.equal(first?.['status'], 200);
    assert.equal(typeof first?.['durationMs'], 'number');
    assert.deepEqual(first?.['upstream'], {
      lookups: 1,
      calls: 1,
      cacheHits: 0,
      staleHits: 0,
      coalesced: 0,
      throttled: 0,
    });
    assert.equal(first?.['errorCodes'], undefined);
    assert.deepEqual(cached?.['upstream'], {
      lookups: 1,
      calls: 0,
      cacheHits: 1,
      staleHits: 0,
      coalesced: 0,
      throttled: 0,
    });
    assert.equal(first?.['responseCache'], undefined);
    assert.equal(replayed?.['responseCache'], 'hit');
    assert.equal(replayed?.['upstream'], undefined, 'a cached answer executes nothing, so it has no upstream cost');
    assert.equal(replayed?.['operationName'], 'Lookup');
    assert.deepEqual(missing?.['errorCodes'], ['NOT_FOUND']);
    assert.deepEqual(invalid?.['errorCodes'], ['BAD_USER_INPUT']);
    assert.equal(anonymous?.['status'], 401);
    assert.deepEqual(anonymous?.['errorCodes'], ['UNAUTHENTICATED']);
    assert.equal(anonymous?.['authFailure'], 'missing: no x-api-key header');
    assert.equal(
      lines.filter((line) => line['reqId'] === anonymous?.['reqId']).length,
      1,
      'one line for a refusal too',
    );
    assert.equal(lines.filter((line) => line['msg'] === 'incoming request').length, 0, 'Fastify’s own lines are off');
  });

  test('logs never carry participant data, credentials or raw queries', () => {
    const text = JSON.stringify(lines);
    for (const secret of ['user-alice', '"host"', apiKey, 'participant(stageArn']) {
      assert.ok(!text.includes(secret), `logs contain ${secret}`);
    }
  });

  test('/readyz says ready and nothing more: no quota domain, account or breaker for an unauthenticated probe', async () => {
    const response = await fetch(`${stack.url}/readyz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ready' });
  });
});

describe('upstream metrics per IVS operation', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: { UPSTREAM_QUOTA_TPS: '1' } });
  });
  after(async () => stack.close());
  const scrape = async () => (await fetch(`${stack.url}/metrics`)).text();
  const domain = (operation: string) => `default:us-east-1:${operation}`;

  test('calls, cache lookups and coalescing are labelled with the operation that made them', async () => {
    const stage = `{ stage(arn: "${demo.stageArn}") { name sessions(first: 1) { nodes { sessionId } } } }`;
    assert.equal((await stack.graphql(stage)).body.errors, undefined);
    const metrics = await scrape();
    for (const operation of ['GetStage', 'ListStageSessions']) {
      assert.equal(sample(metrics, 'ivs_upstream_call_duration_seconds_count', { operation, outcome: 'OK' }), 1);
      assert.equal(sample(metrics, 'ivs_cache_lookups_total', { operation, result: 'miss' }), 1, operation);
    }
    assert.equal(sample(metrics, 'ivs_upstream_call_duration_seconds_count', { operation: 'GetParticipant' }), 0);
    for (const line of metrics.split('\n').filter((l) => /^ivs_(upstream|cache|coalesced|limiter)/.test(l))) {
      assert.match(line, /operation="/, line);
    }
  });

  test('every limiter and breaker has its own series, labelled with its quota domain', async () => {
    const metrics = await scrape();
    for (const operation of ivsReadOperations) {
      const labels = { quota_domain: domain(operation), operation };
      assert.match(
        metrics,
        new RegExp(
          `^ivs_limiter_queue_length\\{quota_domain="${domain(operation)}",operation="${operation}"\\} 0$`,
          'm',
        ),
      );
      assert.equal(sample(metrics, 'ivs_breaker_state', { ...labels, state: 'closed' }), 1, operation);
    }
  });

  test('a queue at one limiter shows in its own series, not overwritten by another limiter', async () => {
    // One call per second: of three cold lookups, two wait for GetParticipant's quota while GetStage answers at once.
    const waiting = stack.graphql(
      `{ ${['q1', 'q2', 'q3'].map((id) => `${id}: participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "${id}") { userId }`).join(' ')} }`,
    );
    const metrics = await pollUntil(
      scrape,
      (text) => sample(text, 'ivs_limiter_queue_length', { quota_domain: domain('GetParticipant') }) >= 1,
    );
    await stack.graphql(`{ stage(arn: "arn:aws:ivs:us-east-1:123456789012:stage/DemoStage02") { name } }`);
    const during = await scrape();
    assert.ok(sample(metrics, 'ivs_limiter_queue_length', { quota_domain: domain('GetParticipant') }) >= 1);
    assert.equal(sample(during, 'ivs_limiter_queue_length', { quota_domain: domain('GetStage') }), 0);
    await waiting;
  });

  test('no help text names a single operation', async () => {
    const help = (await scrape()).split('\n').filter((line) => line.startsWith('# HELP ivs_'));
    assert.ok(help.length >= 7);
    for (const line of help) assert.doesNotMatch(line, /GetParticipant|Participant cache/, line);
  });
});

describe('protecting /metrics', () => {
  test('with METRICS_TOKEN, /metrics needs that bearer token', async () => {
    const token = 'scrape-token-0123456789';
    const stack = await startStack({ env: { METRICS_TOKEN: token } });
    try {
      const refused = await fetch(`${stack.url}/metrics`);
      assert.equal(refused.status, 401);
      assert.equal(
        ((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code,
        'UNAUTHENTICATED',
      );
      assert.equal((await fetch(`${stack.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
      assert.equal(
        (await fetch(`${stack.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status,
        200,
      );
    } finally {
      await stack.close();
    }
  });

  test('with METRICS_PORT, the entry point serves /metrics only there, from the registry the gateway records into', async () => {
    const emulator = await startEmulator();
    const gateway = await startGatewayProcess({
      NODE_ENV: 'test',
      IVS_ENDPOINT: emulator.url,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      METRICS_PORT: '0',
      AUTH_ALLOW_ANONYMOUS: 'true',
    });
    try {
      const { metricsPort } = await gateway.waitForLine((line) => typeof line['metricsPort'] === 'number');
      assert.equal((await fetch(`${gateway.url}/metrics`)).status, 404);
      const lookup = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: query('alice') }),
      });
      assert.equal(lookup.status, 200);
      const response = await fetch(`http://127.0.0.1:${String(metricsPort)}/metrics`);
      assert.equal(response.status, 200);
      const metrics = await response.text();
      assert.equal(sample(metrics, 'gateway_graphql_operation_duration_seconds_count', { outcome: 'ok' }), 1);
      assert.equal(sample(metrics, 'ivs_upstream_call_duration_seconds_count', { outcome: 'OK' }), 1);
    } finally {
      gateway.child.kill('SIGKILL');
      await gateway.exited;
      await emulator.close();
    }
  });

  test('two gateways in one process keep separate registries', async () => {
    const [a, b] = await Promise.all([startStack(), startStack()]);
    try {
      await a.graphql('{ __typename }');
      const metricsA = await (await fetch(`${a.url}/metrics`)).text();
      const metricsB = await (await fetch(`${b.url}/metrics`)).text();
      const ops = 'gateway_graphql_operation_duration_seconds_count';
      assert.equal(sample(metricsA, ops, { outcome: 'ok' }), 1);
      assert.equal(sample(metricsB, ops, { outcome: 'ok' }), 0);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
