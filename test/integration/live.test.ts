import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadDemoSeed, type WireParticipant } from '../../src/emulator/server.js';
import { liveClient, subscribe, subscribeSse } from '../helpers/live.js';
import { demo, startStack, type Stack } from '../helpers/stack.js';

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
