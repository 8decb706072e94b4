import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { StageEvent } from '../../src/live/stageEvent.js';
import { pollUntil } from '../helpers/poll.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';
import { demo, startStack, type Stack } from '../helpers/stack.js';

const apiKey = 'events-test-key-0123456789';
const eventsEnv = { EVENTS_API_KEY: apiKey };

/** An `IVS Stage Update` as EventBridge puts it in the body of an API destination's POST. */
function stageUpdate(
  eventName: string,
  overrides: { id?: string; stageArn?: string; detailType?: string; participantId?: string } = {},
) {
  return {
    version: '0',
    id: overrides.id ?? randomUUID(),
    'detail-type': overrides.detailType ?? 'IVS Stage Update',
    source: 'aws.ivs',
    account: '123456789012',
    time: '2026-06-23T20:12:36Z',
    region: 'us-east-1',
    resources: [overrides.stageArn ?? demo.stageArn],
    detail: {
      session_id: demo.sessionId,
      event_name: eventName,
      user_id: 'user-alice',
      participant_id: overrides.participantId ?? 'alice',
    },
  };
}

async function post(
  gatewayUrl: string,
  body: unknown,
  headers: Record<string, string> = { 'x-events-api-key': apiKey },
): Promise<{ status: number; body: { errors?: { extensions?: { code?: string } }[] } }> {
  const response = await fetch(`${gatewayUrl}/events/ivs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as never };
}

/** A sink that records what reaches it, and waits for a given event id. */
function recordingSink() {
  const received: StageEvent[] = [];
  return {
    received,
    sink: (event: StageEvent) => void received.push(event),
    idsOf: (id: string) => received.filter((event) => event.id === id).length,
    waitFor: (id: string) =>
      pollUntil(
        async () => received.some((event) => event.id === id),
        (seen) => seen,
        10_000,
      ),
  };
}

describe('POST /events/ivs', { timeout: 120_000 }, () => {
  let stack: Stack;
  const recorder = recordingSink();

  before(async () => {
    stack = await startStack({ env: eventsEnv, stageEvents: recorder.sink });
  });
  after(() => stack.close());

  test('without the API key header, or with a wrong key, it answers 401 and processes nothing', async () => {
    const event = stageUpdate('Participant Published');
    const missing = await post(stack.url, event, {});
    const wrong = await post(stack.url, event, { 'x-events-api-key': `${apiKey}-not` });
    assert.equal(missing.status, 401);
    assert.equal(missing.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.equal(wrong.status, 401);
    const marker = stageUpdate('Participant Unpublished');
    assert.equal((await post(stack.url, marker)).status, 202);
    await recorder.waitFor(marker.id);
    assert.equal(recorder.idsOf(event.id), 0);
  });

  test('a body that is not an EventBridge event is 400 BAD_REQUEST', async () => {
    for (const body of [
      '{"id": 1}',
      'not json',
      JSON.stringify({ ...stageUpdate('Participant Published'), resources: [] }),
    ]) {
      const answer = await post(stack.url, body);
      assert.equal(answer.status, 400, body);
      assert.equal(answer.body.errors?.[0]?.extensions?.code, 'BAD_REQUEST');
    }
  });

  test('an event of a type or name it does not act on is accepted (202) and goes nowhere', async () => {
    const composition = stageUpdate('Participant Published', { detailType: 'IVS Composition State Change' });
    const unknownName = stageUpdate('Participant Teleported');
    const otherRegion = stageUpdate('Participant Published', {
      stageArn: 'arn:aws:ivs:ap-south-1:123456789012:stage/Elsewhere01',
    });
    for (const event of [composition, unknownName, otherRegion]) {
      assert.equal((await post(stack.url, event)).status, 202);
    }
    const marker = stageUpdate('Participant Published');
    await post(stack.url, marker);
    await recorder.waitFor(marker.id);
    for (const event of [composition, unknownName, otherRegion]) assert.equal(recorder.idsOf(event.id), 0);
  });

  test('a published event reaches the sink checked, and once even when EventBridge posts it twice', async () => {
    const event = stageUpdate('Participant Published');
    assert.equal((await post(stack.url, event)).status, 202);
    assert.equal((await post(stack.url, event)).status, 202);
    const marker = stageUpdate('Participant Unpublished');
    await post(stack.url, marker);
    await recorder.waitFor(marker.id);
    assert.equal(recorder.idsOf(event.id), 1);
    assert.deepEqual(
      recorder.received.find((received) => received.id === event.id),
      {
        id: event.id,
        stageArn: demo.stageArn,
        sessionId: demo.sessionId,
        participantId: 'alice',
        time: new Date('2026-06-23T20:12:36Z'),
        name: 'Participant Published',
        userId: 'user-alice',
        published: true,
      },
    );
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    assert.match(metrics, /ivs_events_received_total\{outcome="duplicate"\} 1/);
  });

  test('events cost no IVS call', () => {
    assert.equal(stack.emulator.stats().calls, 0);
  });
});

describe('without EVENTS_API_KEY', { timeout: 60_000 }, () => {
  test('the endpoint does not exist (404)', async () => {
    const stack = await startStack();
    try {
      const answer = await post(stack.url, stageUpdate('Participant Published'));
      assert.equal(answer.status, 404);
    } finally {
      await stack.close();
    }
  });
});

describe('two replicas sharing Redis', { timeout: 120_000 }, () => {
  let redis: RedisServer;
  const stacks: Stack[] = [];
  const recorders = [recordingSink(), recordingSink()];

  before(async () => {
    redis = await startRedisServer();
    for (const recorder of recorders) {
      stacks.push(await startStack({ env: { ...eventsEnv, REDIS_URL: redis.url }, stageEvents: recorder.sink }));
    }
    for (const stack of stacks) {
      // /readyz says only ready or not: the Redis connection's state is in /metrics.
      await pollUntil(
        async () => (await fetch(`${stack.url}/metrics`)).text(),
        (text) => text.split('\n').includes('gateway_redis_up 1'),
        20_000,
      );
    }
  });
  after(async () => {
    await Promise.all(stacks.map((stack) => stack.close()));
    await redis.stop();
  });

  test('the same event posted to each replica is delivered once fleet-wide', async () => {
    const event = stageUpdate('Participant Published');
    for (const stack of stacks) assert.equal((await post(stack.url, event)).status, 202);
    const markers = stacks.map(() => stageUpdate('Participant Unpublished'));
    for (const [index, stack] of stacks.entries()) await post(stack.url, markers[index]);
    for (const [index, recorder] of recorders.entries()) await recorder.waitFor(markers[index]!.id);
    assert.equal(recorders[0]!.idsOf(event.id) + recorders[1]!.idsOf(event.id), 1);
  });

  test('with Redis down a valid event is still accepted and delivered once by the replica that got it', async () => {
    await redis.kill();
    try {
      const [stack] = stacks;
      const [recorder] = recorders;
      const event = stageUpdate('Participant Published');
      assert.equal((await post(stack!.url, event)).status, 202);
      assert.equal((await post(stack!.url, event)).status, 202);
      const marker = stageUpdate('Participant Unpublished');
      await post(stack!.url, marker);
      await recorder!.waitFor(marker.id);
      assert.equal(recorder!.idsOf(event.id), 1);
    } finally {
      await redis.restart();
    }
  });
});
