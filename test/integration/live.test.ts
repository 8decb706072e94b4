import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { exportSPKI } from 'jose';
import WebSocket from 'ws';
import { hashApiKey } from '../../src/auth/apiKeys.js';
import { loadDemoSeed, type WireParticipant } from '../../src/emulator/server.js';
import { liveClient, subscribe, subscribeSse } from '../helpers/live.js';
import { audience, issuer, signingKey, signToken, type SigningKey } from '../helpers/jwt.js';
import { pollUntil } from '../helpers/poll.js';
import { participantQuery } from '../helpers/queries.js';
import { demo, startStack, type Stack } from '../helpers/stack.js';
import { within } from '../helpers/within.js';

const alice = loadDemoSeed().stages[0]?.sessions[0]?.participants.find(
  (participant) => participant.participantId === 'alice',
) as WireParticipant;

const participantChanged = `subscription ($stageArn: String!, $sessionId: String!, $participantId: String!) {
  participantChanged(stageArn: $stageArn, sessionId: $sessionId, participantId: $participantId) {
    participantId published state attribute(key: "role")
  }
}`;
const rosterChanged = `subscription ($stageArn: String!, $sessionId: String!, $filter: ParticipantFilter) {
  rosterChanged(stageArn: $stageArn, sessionId: $sessionId, filter: $filter) {
    reset
    joined { participantId state published }
    changed { participantId state published }
    left { participantId }
  }
}`;

type ParticipantData = {
  participantChanged: { participantId: string; published: boolean; state: string; attribute: string | null };
};
type RosterData = {
  rosterChanged: {
    reset: boolean;
    joined: { participantId: string; state: string; published: boolean }[];
    changed: { participantId: string; state: string; published: boolean }[];
    left: { participantId: string }[];
  };
};

const ids = (list: { participantId: string }[]) => list.map((participant) => participant.participantId).sort();

/** The gateway's open subscriptions (WebSocket and SSE), as its /metrics reports them. */
async function openSubscriptions(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith('gateway_live_subscriptions '));
  return Number(line?.split(' ')[1]);
}

// Each test its own session: the emulator's store outlives a test.
let sessions = 0;
const freshSession = () => `st-LiveTest${String(sessions++).padStart(5, '0')}`;

const fast = {
  LIVE_MIN_INTERVAL_MS: '200',
  UPSTREAM_REVALIDATE_MIN_INTERVAL_MS: '0',
  UPSTREAM_QUOTA_TPS: '50',
  EMULATOR_QUOTA_TPS: '0',
};

describe('subscriptions over graphql-ws', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: fast });
  });
  after(() => stack.close());

  test(
    'participantChanged: the participant first, a change pushed once, nothing without a change',
    { timeout: 30_000 },
    async () => {
      const sessionId = freshSession();
      stack.emulator.addParticipant(demo.stageArn, sessionId, alice);
      const { client } = liveClient(stack.url);
      const updates = subscribe<ParticipantData>(client, participantChanged, {
        ...demo,
        sessionId,
        participantId: 'alice',
      });
      const first = await updates.next();
      assert.deepEqual(first.data?.participantChanged, {
        participantId: 'alice',
        published: true,
        state: 'CONNECTED',
        attribute: 'host',
      });
      assert.equal(await updates.quiet(1000), true, 'refreshes that find nothing new push nothing');

      stack.emulator.addParticipant(demo.stageArn, sessionId, { ...alice, published: false });
      const second = await updates.next();
      assert.equal(second.data?.participantChanged.published, false);
      assert.equal(await updates.quiet(1000), true, 'the change is pushed once');

      // A detail field changes too: every field counts.
      stack.emulator.addParticipant(demo.stageArn, sessionId, {
        ...alice,
        published: false,
        attributes: { role: 'guest' },
      });
      assert.equal((await updates.next()).data?.participantChanged.attribute, 'guest');
      await updates.stop();
      await client.dispose();
    },
  );

  test('rosterChanged: everyone first (reset), then joined, changed and left', { timeout: 30_000 }, async () => {
    const sessionId = freshSession();
    stack.emulator.addParticipant(demo.stageArn, sessionId, { ...alice, participantId: 'ann' });
    stack.emulator.addParticipant(demo.stageArn, sessionId, { ...alice, participantId: 'ben' });
    const { client } = liveClient(stack.url);
    const updates = subscribe<RosterData>(client, rosterChanged, { ...demo, sessionId });
    const first = (await updates.next()).data?.rosterChanged;
    assert.equal(first?.reset, true);
    assert.deepEqual(ids(first?.joined ?? []), ['ann', 'ben']);

    stack.emulator.addParticipant(demo.stageArn, sessionId, { ...alice, participantId: 'cat' });
    const joined = (await updates.next()).data?.rosterChanged;
    assert.deepEqual(
      { reset: joined?.reset, joined: ids(joined?.joined ?? []), changed: joined?.changed, left: joined?.left },
      {
        reset: false,
        joined: ['cat'],
        changed: [],
        left: [],
      },
    );

    stack.emulator.addParticipant(demo.stageArn, sessionId, { ...alice, participantId: 'ann', published: false });
    const changed = (await updates.next()).data?.rosterChanged;
    assert.deepEqual(changed?.changed, [{ participantId: 'ann', state: 'CONNECTED', published: false }]);
    assert.deepEqual([changed?.joined, changed?.left], [[], []]);
    assert.equal(await updates.quiet(800), true);
    await updates.stop();
    await client.dispose();
  });

  test('rosterChanged with a state filter: leaving the filter is `left`', { timeout: 30_000 }, async () => {
    const sessionId = freshSession();
    stack.emulator.addParticipant(demo.stageArn, sessionId, { ...alice, participantId: 'ann' });
    stack.emulator.addParticipant(demo.stageArn, sessionId, { ...alice, participantId: 'ben', state: 'DISCONNECTED' });
    const { client } = liveClient(stack.url);
    const updates = subscribe<RosterData>(client, rosterChanged, {
      ...demo,
      sessionId,
      filter: { state: 'CONNECTED' },
    });
    assert.deepEqual(ids((await updates.next()).data?.rosterChanged.joined ?? []), ['ann']);

    stack.emulator.addParticipant(demo.stageArn, sessionId, { ...alice, participantId: 'ann', state: 'DISCONNECTED' });
    const left = (await updates.next()).data?.rosterChanged;
    assert.deepEqual([ids(left?.left ?? []), left?.joined, left?.changed], [['ann'], [], []]);
    await updates.stop();
    await client.dispose();
  });

  test('bad input fails the subscription like the query, before any IVS call', { timeout: 30_000 }, async () => {
    const { client } = liveClient(stack.url);
    stack.emulator.reset();
    const bad = subscribe(client, participantChanged, { ...demo, sessionId: 'nope', participantId: 'alice' });
    const result = await bad.next();
    assert.equal(result.errors?.[0]?.extensions?.['code'], 'BAD_USER_INPUT');
    const twoFilters = subscribe(client, rosterChanged, { ...demo, filter: { state: 'CONNECTED', published: true } });
    assert.equal((await twoFilters.next()).errors?.[0]?.extensions?.['code'], 'BAD_USER_INPUT');
    assert.equal(stack.emulator.stats().calls, 0);
    await client.dispose();
  });

  test('a query over the socket is refused: queries go over HTTP', { timeout: 30_000 }, async () => {
    const { client } = liveClient(stack.url);
    const result = await subscribe(client, '{ __typename }').next();
    assert.equal(result.errors?.[0]?.extensions?.['code'], 'BAD_REQUEST');
    await client.dispose();
  });

  test('SSE: the same subscription over /graphql/stream', { timeout: 30_000 }, async () => {
    const sessionId = freshSession();
    stack.emulator.addParticipant(demo.stageArn, sessionId, alice);
    const updates = subscribeSse<ParticipantData>(stack.url, participantChanged, {
      ...demo,
      sessionId,
      participantId: 'alice',
    });
    assert.equal((await updates.next()).data?.participantChanged.published, true);
    stack.emulator.addParticipant(demo.stageArn, sessionId, { ...alice, published: false });
    assert.equal((await updates.next()).data?.participantChanged.published, false);
    await updates.stop();
  });
});

describe('subscriptions: credentials, grants and limits', () => {
  const dashboardKey = 'dashboard-key-0123456789abcdef';
  const otherStage = 'arn:aws:ivs:us-east-1:123456789012:stage/DemoStage02';
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      env: {
        ...fast,
        AUTH_MODE: 'api-key',
        AUTH_API_KEYS: JSON.stringify([
          { name: 'dashboard', sha256: hashApiKey(dashboardKey), stages: [demo.stageArn] },
        ]),
        LIVE_MAX_SUBSCRIPTIONS_PER_CALLER: '2',
      },
    });
  });
  after(() => stack.close());

  test('a socket without credentials is closed with 4401', { timeout: 30_000 }, async () => {
    const { client, closed } = liveClient(stack.url);
    const updates = subscribe(client, participantChanged, { ...demo, participantId: 'alice' });
    assert.equal((await closed).code, 4401);
    await updates.stop();
  });

  test('SSE without credentials is 401', { timeout: 30_000 }, async () => {
    const response = await fetch(`${stack.url}/graphql/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: participantChanged }),
    });
    assert.equal(response.status, 401);
  });

  test('a stage outside the grants is FORBIDDEN, on both transports, at no IVS cost', { timeout: 30_000 }, async () => {
    stack.emulator.reset();
    const { client } = liveClient(stack.url, { 'x-api-key': dashboardKey });
    const variables = { stageArn: otherStage, sessionId: 'st-DemoSession02', participantId: 'carol' };
    const result = await subscribe(client, participantChanged, variables).next();
    assert.equal(result.errors?.[0]?.extensions?.['code'], 'FORBIDDEN');
    const overSse = await subscribeSse(stack.url, participantChanged, variables, { 'x-api-key': dashboardKey }).next();
    assert.equal(overSse.errors?.[0]?.extensions?.['code'], 'FORBIDDEN');
    assert.equal(stack.emulator.stats().calls, 0);
    await client.dispose();
  });

  test(
    'LIVE_MAX_SUBSCRIPTIONS_PER_CALLER: one more is TOO_MANY_SUBSCRIPTIONS until one ends',
    { timeout: 30_000 },
    async () => {
      const { client } = liveClient(stack.url, { 'x-api-key': dashboardKey });
      const one = subscribe(client, participantChanged, { ...demo, participantId: 'alice' });
      const two = subscribe(client, participantChanged, { ...demo, participantId: 'bob' });
      await one.next();
      await two.next();
      const three = await subscribe(client, rosterChanged, demo).next();
      assert.equal(three.errors?.[0]?.extensions?.['code'], 'TOO_MANY_SUBSCRIPTIONS');
      await one.stop();
      const again = await subscribe(client, rosterChanged, demo).next();
      assert.equal(again.data !== undefined && again.errors === undefined, true);
      await client.dispose();
    },
  );
  test(
    'SSE: a client that stops frees its subscription at once: the caller limit admits another, the watch ends',
    { timeout: 30_000 },
    async () => {
      // The earlier tests' sockets close asynchronously: start with none of the caller's subscriptions open.
      await pollUntil(
        () => openSubscriptions(stack.url),
        (open) => open === 0,
      );
      const headers = { 'x-api-key': dashboardKey };
      const sessionId = freshSession();
      stack.emulator.addParticipant(demo.stageArn, sessionId, alice);
      const watched = { ...demo, sessionId, participantId: 'alice' };
      const one = subscribeSse(stack.url, participantChanged, watched, headers);
      const two = subscribeSse(stack.url, participantChanged, { ...demo, participantId: 'bob' }, headers);
      await one.next();
      await two.next();
      const three = await subscribeSse(stack.url, rosterChanged, demo, headers).next();
      assert.equal(three.errors?.[0]?.extensions?.['code'], 'TOO_MANY_SUBSCRIPTIONS');
      await one.stop();
      await pollUntil(
        () => openSubscriptions(stack.url),
        (open) => open === 1,
      );
      const again = subscribeSse(stack.url, rosterChanged, demo, headers);
      const first = await again.next();
      assert.equal(first.data !== undefined && first.errors === undefined, true);
      await Promise.all([two.stop(), again.stop()]);
      await pollUntil(
        () => openSubscriptions(stack.url),
        (open) => open === 0,
      );
      // Nobody watches any more: within a few refresh intervals (200 ms) IVS stops being called.
      const callsThen = stack.emulator.stats().calls;
      await pause(1_000);
      assert.ok(stack.emulator.stats().calls <= callsThen + 1, 'no refresh after the last subscriber left');
    },
  );

  test('graphql-ws: a socket that closes frees all its subscriptions', { timeout: 30_000 }, async () => {
    await pollUntil(
      () => openSubscriptions(stack.url),
      (open) => open === 0,
    );
    const { client } = liveClient(stack.url, { 'x-api-key': dashboardKey });
    const one = subscribe(client, participantChanged, { ...demo, participantId: 'alice' });
    const two = subscribe(client, participantChanged, { ...demo, participantId: 'bob' });
    await one.next();
    await two.next();
    assert.equal(await openSubscriptions(stack.url), 2);
    await client.dispose();
    await pollUntil(
      () => openSubscriptions(stack.url),
      (open) => open === 0,
    );
    const headers = { 'x-api-key': dashboardKey };
    const again = subscribeSse(stack.url, rosterChanged, demo, headers);
    assert.equal((await again.next()).errors, undefined);
    await again.stop();
  });
});

describe('subscriptions: the process limit and keep-alive pings', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: { ...fast, LIVE_MAX_SUBSCRIPTIONS: '2', LIVE_KEEP_ALIVE_MS: '300' } });
  });
  after(() => stack.close());

  test(
    'LIVE_MAX_SUBSCRIPTIONS: one more is TOO_MANY_SUBSCRIPTIONS (process), over graphql-ws and SSE, until one ends',
    { timeout: 30_000 },
    async () => {
      const { client } = liveClient(stack.url);
      const one = subscribe(client, participantChanged, { ...demo, participantId: 'alice' });
      const two = subscribe(client, participantChanged, { ...demo, participantId: 'bob' });
      await one.next();
      await two.next();
      const overSocket = (await subscribe(client, rosterChanged, demo).next()).errors?.[0]?.extensions;
      assert.deepEqual([overSocket?.['code'], overSocket?.['limit']], ['TOO_MANY_SUBSCRIPTIONS', 'process']);
      const overSse = (await subscribeSse(stack.url, rosterChanged, demo).next()).errors?.[0]?.extensions;
      assert.deepEqual([overSse?.['code'], overSse?.['limit']], ['TOO_MANY_SUBSCRIPTIONS', 'process']);
      await two.stop();
      const again = await subscribeSse(stack.url, rosterChanged, demo).next();
      assert.equal(again.data !== undefined && again.errors === undefined, true);
      await client.dispose();
    },
  );

  test('LIVE_KEEP_ALIVE_MS: a raw WebSocket client is pinged within the interval', { timeout: 30_000 }, async () => {
    const socket = new WebSocket(`${stack.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    await once(socket, 'open');
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await once(socket, 'message');
    const opened = performance.now();
    await within(once(socket, 'ping'), 5_000, 'a keep-alive ping');
    // The first ping comes one interval after the socket opened; allow the loaded host some slack.
    assert.ok(performance.now() - opened < 300 + 1_000);
    const second = performance.now();
    await within(once(socket, 'ping'), 5_000, 'the next keep-alive ping');
    assert.ok(performance.now() - second < 300 + 1_000);
    socket.close();
  });
});

describe('subscriptions: the document limits of queries', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      env: { ...fast, LIMIT_QUERY_DEPTH: '2', LIMIT_ALIASES: '1', LIMIT_DIRECTIVES: '1', LIMIT_TOKENS: '60' },
    });
  });
  after(() => stack.close());

  const key = `stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}"`;
  const refused = [
    { limit: 'depth', query: `subscription { rosterChanged(${key}) { joined { participantId } } }` },
    {
      limit: 'aliases',
      query: `subscription { p: participantChanged(${key}, participantId: "alice") { a: participantId b: userId } }`,
    },
    {
      limit: 'directives',
      query: `subscription { participantChanged(${key}, participantId: "alice") { participantId @include(if: true) userId @skip(if: false) } }`,
    },
  ];

  for (const { limit, query } of refused) {
    test(
      `over MAX_${limit.toUpperCase()}: QUERY_TOO_COMPLEX (${limit}) over graphql-ws and SSE, no IVS call`,
      {
        timeout: 30_000,
      },
      async () => {
        stack.emulator.reset();
        const { client } = liveClient(stack.url);
        const overSocket = (await subscribe(client, query).next()).errors?.[0]?.extensions;
        assert.deepEqual([overSocket?.['code'], overSocket?.['limit']], ['QUERY_TOO_COMPLEX', limit]);
        const overSse = (await subscribeSse(stack.url, query).next()).errors?.[0]?.extensions;
        assert.deepEqual([overSse?.['code'], overSse?.['limit']], ['QUERY_TOO_COMPLEX', limit]);
        assert.equal(stack.emulator.stats().calls, 0);
        await client.dispose();
      },
    );
  }

  test('over LIMIT_TOKENS: GRAPHQL_PARSE_FAILED over graphql-ws and SSE', { timeout: 30_000 }, async () => {
    const query = `subscription { participantChanged(${key}, participantId: "alice") { ${'participantId '.repeat(60)} } }`;
    const { client } = liveClient(stack.url);
    const overSocket = (await subscribe(client, query).next()).errors?.[0];
    assert.equal(overSocket?.extensions?.['code'], 'GRAPHQL_PARSE_FAILED');
    assert.match(overSocket?.message ?? '', /contains more th\w+ 60 tokens/);
    const overSse = (await subscribeSse(stack.url, query).next()).errors?.[0];
    assert.equal(overSse?.extensions?.['code'], 'GRAPHQL_PARSE_FAILED');
    await client.dispose();
  });

  test('a subscription within every limit runs', { timeout: 30_000 }, async () => {
    const query = `subscription { participantChanged(${key}, participantId: "alice") { participantId @include(if: true) } }`;
    const { client } = liveClient(stack.url);
    const first = await subscribe<ParticipantData>(client, query).next();
    assert.equal(first.data?.participantChanged.participantId, 'alice');
    await client.dispose();
  });
});

describe('subscriptions: refresh pacing', () => {
  let stack: Stack;
  before(async () => {
    // The defaults that meet: a 1 s refresh and a 1 s floor on revalidations.
    stack = await startStack({
      env: { LIVE_MIN_INTERVAL_MS: '1000', UPSTREAM_REVALIDATE_MIN_INTERVAL_MS: '1000', EMULATOR_QUOTA_TPS: '0' },
    });
  });
  after(() => stack.close());

  test(
    'a roster watched at a 1 s interval costs one ListParticipants call per second',
    { timeout: 30_000 },
    async () => {
      const sessionId = freshSession();
      stack.emulator.addParticipant(demo.stageArn, sessionId, alice);
      const { client } = liveClient(stack.url);
      const updates = subscribe<RosterData>(client, rosterChanged, { ...demo, sessionId });
      await updates.next();
      stack.emulator.reset();
      const started = performance.now();
      // Each refresh is a call: 4 of them take about 4 s (8 s when every other one was served the cached answer).
      await pollUntil(
        async () => stack.emulator.stats().byOperation.ListParticipants.calls,
        (calls) => calls >= 4,
        15_000,
      );
      assert.ok(performance.now() - started < 6_000, `4 refreshes took ${Math.round(performance.now() - started)} ms`);
      await client.dispose();
    },
  );
});

describe('subscriptions: a JWT that expires ends its socket', () => {
  let stack: Stack;
  let key: SigningKey;
  let directory: string;
  before(async () => {
    key = await signingKey('ES256', 'live');
    directory = await mkdtemp(join(tmpdir(), 'gateway-live-'));
    const file = join(directory, 'public.pem');
    await writeFile(file, await exportSPKI(key.publicKey));
    stack = await startStack({
      env: {
        ...fast,
        AUTH_MODE: 'jwt',
        AUTH_JWT_PUBLIC_KEY_FILE: file,
        AUTH_ISSUER: issuer,
        AUTH_AUDIENCE: audience,
        AUTH_CLOCK_TOLERANCE_SECONDS: '0',
      },
    });
  });
  after(async () => {
    await stack.close();
    await rm(directory, { recursive: true, force: true });
  });

  test('close code 4403 at the token`s exp', { timeout: 30_000 }, async () => {
    const token = await signToken(key, { ivs_stages: ['*'] }, { expiresAt: Math.floor(Date.now() / 1000) + 3 });
    const { client, closed } = liveClient(stack.url, { authorization: `Bearer ${token}` });
    const updates = subscribe(client, participantChanged, { ...demo, participantId: 'alice' });
    assert.equal((await updates.next()).data !== undefined, true);
    const { code } = await within(closed, 15_000, 'the socket closing');
    assert.equal(code, 4403);
  });
});

describe('subscriptions: slow consumers and the drain', () => {
  const townHall = { stageArn: demo.stageArn, sessionId: 'st-LiveCrowd0001' };
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      env: { ...fast, LIVE_MAX_BUFFERED_BYTES: '65536', LIVE_MAX_SUBSCRIPTIONS_PER_CALLER: '1000' },
      emulator: { generatedParticipants: { ...townHall, count: 1000 } },
    });
  });
  after(() => stack.close());

  test('a socket that does not read is closed with 1013 instead of buffering', { timeout: 60_000 }, async () => {
    const socket = new WebSocket(`${stack.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    await once(socket, 'open');
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await once(socket, 'message');
    // Stop reading: the kernel's buffers fill, then the gateway's.
    (socket as unknown as { _socket: Socket })._socket.pause();
    const query = `subscription ($stageArn: String!, $sessionId: String!) {
      rosterChanged(stageArn: $stageArn, sessionId: $sessionId) { joined { participantId userId state published firstJoinTime } }
    }`;
    for (let id = 0; id < 200; id += 1) {
      socket.send(JSON.stringify({ id: String(id), type: 'subscribe', payload: { query, variables: townHall } }));
    }
    const closing = once(socket, 'close');
    // Every subscription's first update was handed to the socket: far more than the client's buffers take.
    await pollUntil(
      async () => stack.live.subscriptions(),
      (open) => open === 200,
      30_000,
    );
    (socket as unknown as { _socket: Socket })._socket.resume();
    const [code] = (await within(closing, 30_000, 'the slow socket closing')) as [number];
    assert.equal(code, 1013);
  });

  test('the drain closes sockets with 1001 and ends SSE streams', { timeout: 60_000 }, async () => {
    const { client, closed } = liveClient(stack.url);
    const updates = subscribe(client, participantChanged, { ...demo, participantId: 'alice' });
    await updates.next();
    const overSse = subscribeSse(stack.url, participantChanged, { ...demo, participantId: 'alice' });
    await overSse.next();
    await stack.close();
    assert.equal((await within(closed, 10_000, 'the socket closing')).code, 1001);
    await within(overSse.ended, 10_000, 'the SSE stream ending');
  });
});

describe('subscriptions: IVS stage events', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: { ...fast, LIVE_MIN_INTERVAL_MS: '60000' } });
  });
  after(() => stack.close());

  const event = (sessionId: string, published: boolean, time: Date) => ({
    id: `event-${Math.random()}`,
    time,
    name: published ? ('Participant Published' as const) : ('Participant Unpublished' as const),
    stageArn: demo.stageArn,
    sessionId,
    participantId: 'alice',
    userId: 'user-alice',
    published,
  });

  test(
    'a publish event is pushed at once to the participant and its rosters; an older one changes nothing',
    { timeout: 30_000 },
    async () => {
      const sessionId = freshSession();
      // IVS's `published` means "ever published in the session": only a Published event changes it.
      stack.emulator.addParticipant(demo.stageArn, sessionId, { ...alice, published: false });
      const { client } = liveClient(stack.url);
      const participant = subscribe<ParticipantData>(client, participantChanged, {
        ...demo,
        sessionId,
        participantId: 'alice',
      });
      const roster = subscribe<RosterData>(client, rosterChanged, { ...demo, sessionId });
      await participant.next();
      await roster.next();

      stack.live.stageEvents(event(sessionId, true, new Date(Date.now() - 3_600_000)));
      assert.equal(await participant.quiet(500), true, 'an event older than the answer held changes nothing');

      const sent = performance.now();
      stack.live.stageEvents(event(sessionId, true, new Date()));
      assert.equal((await participant.next(1000)).data?.participantChanged.published, true);
      assert.deepEqual((await roster.next(1000)).data?.rosterChanged.changed, [
        { participantId: 'alice', state: 'CONNECTED', published: true },
      ]);
      assert.ok(performance.now() - sent < 1000);
      await client.dispose();
    },
  );
});

describe('subscriptions and plain HTTP', () => {
  let stack: Stack;
  before(async () => {
    // Refreshes a minute apart: what arrives sooner came from elsewhere.
    stack = await startStack({
      env: { ...fast, HTTP_CORS_ORIGINS: 'https://app.example.com', LIVE_MIN_INTERVAL_MS: '60000' },
    });
  });
  after(() => stack.close());

  test(
    'a subscription POSTed to /graphql is BAD_REQUEST, naming where subscriptions are served',
    { timeout: 30_000 },
    async () => {
      const { status, body } = await stack.graphql(participantChanged, { ...demo, participantId: 'alice' });
      assert.equal(status, 400);
      assert.equal(body.errors?.[0]?.extensions?.['code'], 'BAD_REQUEST');
      assert.match(body.errors?.[0]?.message ?? '', /graphql\/stream/);
    },
  );

  test('the upgrade from an origin the HTTP API refuses is refused (403)', { timeout: 30_000 }, async () => {
    const url = `${stack.url.replace(/^http/, 'ws')}/graphql`;
    const refused = new WebSocket(url, 'graphql-transport-ws', { headers: { origin: 'https://evil.example.com' } });
    const [, response] = (await once(refused, 'unexpected-response')) as [unknown, { statusCode: number }];
    assert.equal(response.statusCode, 403);
    const allowed = new WebSocket(url, 'graphql-transport-ws', { headers: { origin: 'https://app.example.com' } });
    await once(allowed, 'open');
    allowed.close();
  });

  test('participantDisconnected refreshes the participant and its rosters at once', { timeout: 30_000 }, async () => {
    const sessionId = freshSession();
    stack.emulator.addParticipant(demo.stageArn, sessionId, alice);
    const { client } = liveClient(stack.url);
    const updates = subscribe<ParticipantData>(client, participantChanged, {
      ...demo,
      sessionId,
      participantId: 'alice',
    });
    await updates.next();
    stack.emulator.addParticipant(demo.stageArn, sessionId, { ...alice, state: 'DISCONNECTED' });
    stack.live.participantDisconnected({ stageArn: demo.stageArn, sessionId, participantId: 'alice' });
    assert.equal((await updates.next(1000)).data?.participantChanged.state, 'DISCONNECTED');
    await client.dispose();
  });
});

describe('subscriptions and the caches', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      env: { ...fast, LIVE_MIN_INTERVAL_MS: '60000', GRAPHQL_RESPONSE_CACHE_TTL_SECONDS: '0' },
    });
  });
  after(() => stack.close());

  const publishedQuery = participantQuery('published');

  test(
    'an answer a query fetched from IVS is pushed to the watchers; the watcher`s answer serves queries',
    { timeout: 30_000 },
    async () => {
      const sessionId = freshSession();
      const key = { ...demo, sessionId, participantId: 'alice' };
      stack.emulator.addParticipant(demo.stageArn, sessionId, alice);
      const { client } = liveClient(stack.url);
      const updates = subscribe<ParticipantData>(client, participantChanged, key);
      await updates.next();

      // The next paced refresh is a minute away: only the query's own call can tell the watcher.
      stack.emulator.addParticipant(demo.stageArn, sessionId, { ...alice, published: false });
      const asked = await stack.graphql(publishedQuery, key, { 'cache-control': 'no-cache' });
      assert.deepEqual(asked.body.data, { participant: { published: false } });
      assert.equal((await updates.next(1000)).data?.participantChanged.published, false);

      // What the subscription's watcher read is in the answer cache: a plain query costs no call.
      stack.emulator.reset();
      const served = await stack.graphql(publishedQuery, key);
      assert.deepEqual(served.body.data, { participant: { published: false } });
      assert.equal(stack.emulator.stats().calls, 0);
      await client.dispose();
    },
  );
});
