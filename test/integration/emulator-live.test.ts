import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { townHall } from '../../src/emulator/server.js';
import type { StageEvent } from '../../src/live/stageEvent.js';
import { pollUntil } from '../helpers/poll.js';
import { demoParticipantQuery } from '../helpers/queries.js';
import { startGatewayProcess } from '../helpers/process.js';
import { demo, startStack, type Stack } from '../helpers/stack.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: { id: string; resources: string[]; detail: Record<string, string> };
}

/** A stand-in for the gateway's events endpoint: records each POST; `answers` are the statuses to give first. */
async function startReceiver(answers: number[] = []): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(text) as Received['body'] });
      res.writeHead(answers.shift() ?? 202).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events/ivs`, received, server };
}

async function admin(
  emulatorUrl: string,
  method: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${emulatorUrl}/_emulator/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const participantQuery = demoParticipantQuery('state published hand: attribute(key: "hand")');
const rosterQuery = `query ($stageArn: String!, $sessionId: String!, $filter: ParticipantFilter) {
  stageSession(stageArn: $stageArn, sessionId: $sessionId) {
    participants(first: 100, filter: $filter) { nodes { participantId state published } }
  }
}`;

interface RosterAnswer {
  stageSession: { participants: { nodes: { participantId: string; state: string; published: boolean }[] } };
}

describe('the emulator admin API changes what the gateway answers', { timeout: 120_000 }, () => {
  let stack: Stack;
  const key = { stageArn: demo.stageArn, sessionId: demo.sessionId };
  const participant = () => stack.graphql(participantQuery, { id: 'zoe' });
  const roster = async () =>
    (await stack.graphql<RosterAnswer>(rosterQuery, key)).body.data?.stageSession.participants.nodes ?? [];

  // No caches: each query shows what the emulator holds now.
  before(async () => {
    stack = await startStack({ env: { UPSTREAM_CACHE_MAX_ENTRIES: '0' } });
  });
  after(() => stack.close());

  test('an added participant is in the roster and can be looked up', async () => {
    const added = await admin(stack.emulator.url, 'POST', 'participants', {
      ...key,
      participant: { participantId: 'zoe', userId: 'user-zoe', state: 'CONNECTED', published: false },
    });
    assert.equal(added.status, 201);
    assert.deepEqual((await participant()).body.data, {
      participant: { state: 'CONNECTED', published: false, hand: null },
    });
    assert.ok((await roster()).some((entry) => entry.participantId === 'zoe'));
  });

  test('starting to publish, attributes and state show in the participant and the roster', async () => {
    const changed = await admin(stack.emulator.url, 'PATCH', 'participants', {
      ...key,
      participantId: 'zoe',
      publishing: true,
      attributes: { hand: 'raised' },
    });
    assert.equal(changed.status, 200);
    assert.deepEqual((await participant()).body.data, {
      participant: { state: 'CONNECTED', published: true, hand: 'raised' },
    });
    // IVS's `published` is "ever published": stopping does not turn it back.
    await admin(stack.emulator.url, 'PATCH', 'participants', { ...key, participantId: 'zoe', publishing: false });
    await admin(stack.emulator.url, 'PATCH', 'participants', { ...key, participantId: 'zoe', state: 'DISCONNECTED' });
    assert.deepEqual(
      (await roster()).find((entry) => entry.participantId === 'zoe'),
      { participantId: 'zoe', state: 'DISCONNECTED', published: true },
    );
  });

  test('a removed participant is gone from the roster and NOT_FOUND', async () => {
    assert.equal(
      (await admin(stack.emulator.url, 'DELETE', 'participants', { ...key, participantId: 'zoe' })).status,
      200,
    );
    assert.equal((await participant()).body.errors?.[0]?.extensions?.['code'], 'NOT_FOUND');
    assert.ok(!(await roster()).some((entry) => entry.participantId === 'zoe'));
  });

  test('changing an unknown participant is 404, a bad participant 400', async () => {
    const unknown = await admin(stack.emulator.url, 'PATCH', 'participants', {
      ...key,
      participantId: 'nobody',
      publishing: true,
    });
    assert.equal(unknown.status, 404);
    const bad = await admin(stack.emulator.url, 'POST', 'participants', {
      ...key,
      participant: { participantId: 'no spaces' },
    });
    assert.equal(bad.status, 400);
    const tooBig = await admin(stack.emulator.url, 'PATCH', 'participants', {
      ...key,
      participantId: 'alice',
      attributes: { big: 'x'.repeat(2000) },
    });
    assert.equal(tooBig.status, 400);
  });
});

describe('event delivery', { timeout: 120_000 }, () => {
  let stack: Stack;
  const key = { stageArn: demo.stageArn, sessionId: demo.sessionId };
  const publish = (publishing: boolean) =>
    admin(stack.emulator.url, 'PATCH', 'participants', { ...key, participantId: 'alice', publishing });

  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  test('on: a publish change is POSTed as an IVS Stage Update with the API-key header; off: nothing is', async () => {
    const receiver = await startReceiver();
    try {
      const on = { enabled: true, url: receiver.url, apiKey: 'demo-key', header: 'X-Demo-Key' };
      assert.equal((await admin(stack.emulator.url, 'POST', 'events', on)).status, 200);
      await publish(false);
      await pollUntil(
        async () => receiver.received.length,
        (count) => count === 1,
      );
      const [first] = receiver.received;
      assert.equal(first?.headers['x-demo-key'], 'demo-key');
      assert.deepEqual(first?.body.resources, [demo.stageArn]);
      assert.equal(first?.body.detail['event_name'], 'Participant Unpublished');
      assert.equal(first?.body.detail['participant_id'], 'alice');
      assert.equal(first?.body.detail['session_id'], demo.sessionId);

      await admin(stack.emulator.url, 'POST', 'events', { enabled: false });
      await publish(true);
      // Back on (the target is remembered): only this change arrives, the one made while off never does.
      await admin(stack.emulator.url, 'POST', 'events', { enabled: true });
      await publish(false);
      await pollUntil(
        async () => receiver.received.length,
        (count) => count >= 2,
      );
      assert.equal(receiver.received.length, 2);
      assert.equal(receiver.received[1]?.body.detail['event_name'], 'Participant Unpublished');
      const state = await admin(stack.emulator.url, 'GET', 'events', undefined);
      assert.deepEqual(state.body, { enabled: true, url: receiver.url, header: 'x-demo-key', delivered: 2, failed: 0 });
    } finally {
      receiver.server.close();
    }
  });

  test('a 503 or 429 is retried with the same event id; a 400 is not', async () => {
    const receiver = await startReceiver([503, 429, 202, 400]);
    try {
      await admin(stack.emulator.url, 'POST', 'events', { enabled: true, url: receiver.url, apiKey: 'demo-key' });
      await publish(true);
      await pollUntil(
        async () => receiver.received.length,
        (count) => count === 3,
      );
      assert.equal(new Set(receiver.received.map((request) => request.body.id)).size, 1);
      await publish(false);
      await pollUntil(
        async () => (await admin(stack.emulator.url, 'GET', 'events', undefined)).body,
        (state) => state['failed'] === 1,
      );
      assert.equal(receiver.received.length, 4);
    } finally {
      receiver.server.close();
    }
  });

  test('turning delivery on without a target is 400', async () => {
    const stackless = await startStack();
    try {
      assert.equal((await admin(stackless.emulator.url, 'POST', 'events', { enabled: true })).status, 400);
    } finally {
      await stackless.close();
    }
  });
});

describe('the town hall activity', { timeout: 120_000 }, () => {
  test('plays its script in the roster and posts its publish events to the gateway, which accepts them', async () => {
    const events: StageEvent[] = [];
    const apiKey = 'activity-test-key-0123456789';
    const stack = await startStack({
      env: { EVENTS_API_KEY: apiKey, UPSTREAM_CACHE_MAX_ENTRIES: '0' },
      emulator: { activityIntervalMs: 50 },
      stageEvents: (event) => void events.push(event),
    });
    try {
      stack.emulator.configureEventDelivery({ enabled: true, url: `${stack.url}/events/ivs`, apiKey });
      // Steps 1-4 of the README: ana-1 joins, publishes; ben-1 joins, publishes.
      const published = await pollUntil(
        async () => events.filter((event) => event.published === true).map((event) => event.participantId),
        (ids) => ids.length >= 2,
        20_000,
      );
      assert.deepEqual(published.slice(0, 2), ['ana-1', 'ben-1']);
      assert.ok(
        events.every((event) => event.stageArn === townHall.stageArn && event.sessionId === townHall.sessionId),
      );
      // The town hall's 300 seeded participants fill the first page; ana has a user id of her own.
      const answer = await stack.graphql<RosterAnswer>(rosterQuery, { ...townHall, filter: { userId: 'user-ana' } });
      const ana = answer.body.data?.stageSession.participants.nodes[0];
      assert.equal(ana?.participantId, 'ana-1');
    } finally {
      await stack.close();
    }
  });

  test('npm start: the embedded emulator posts its events to the gateway with the generated key', async () => {
    const gateway = await startGatewayProcess({ NODE_ENV: 'development', EMULATOR_ACTIVITY_INTERVAL_MS: '50' });
    try {
      await pollUntil(
        async () =>
          (await (await fetch(`${gateway.url}/metrics`)).text()).match(
            /ivs_events_received_total\{outcome="accepted"\} (\d+)/,
          )?.[1],
        (count) => Number(count ?? 0) >= 2,
        30_000,
      );
    } finally {
      gateway.child.kill('SIGTERM');
      assert.equal(await gateway.exited, 0, gateway.stderr());
    }
  });
});
