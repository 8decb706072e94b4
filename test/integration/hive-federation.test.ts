import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashApiKey } from '../../src/auth/apiKeys.js';
import { loadDemoSeed, type WireParticipant } from '../../src/emulator/server.js';
import { subscribeSseAt } from '../helpers/live.js';
import { demo, startStack, type Stack } from '../helpers/stack.js';
import { moderationTypeDefs, startHiveSupergraph, type Supergraph } from '../helpers/supergraph.js';

const alice = loadDemoSeed().stages[0]?.sessions[0]?.participants.find(
  (participant) => participant.participantId === 'alice',
) as WireParticipant;

const moderation = {
  name: 'moderation',
  typeDefs: moderationTypeDefs,
  resolvers: {
    Query: { flaggedParticipants: () => ['alice', 'bob'].map((participantId) => ({ ...demo, participantId })) },
  },
};

const participantChanged = `subscription ($stageArn: String!, $sessionId: String!, $participantId: String!) {
  participantChanged(stageArn: $stageArn, sessionId: $sessionId, participantId: $participantId) {
    participantId published state
  }
}`;
const rosterChanged = `subscription ($stageArn: String!, $sessionId: String!) {
  rosterChanged(stageArn: $stageArn, sessionId: $sessionId) {
    reset
    joined { participantId }
    changed { participantId published }
    left { participantId }
  }
}`;

type ParticipantData = { participantChanged: { participantId: string; published: boolean; state: string } };
type RosterData = {
  rosterChanged: {
    reset: boolean;
    joined: { participantId: string }[];
    changed: { participantId: string; published: boolean }[];
    left: { participantId: string }[];
  };
};

const ids = (list: { participantId: string }[] = []) => list.map((participant) => participant.participantId).sort();

const fast = {
  LIVE_MIN_INTERVAL_MS: '200',
  UPSTREAM_REVALIDATE_MIN_INTERVAL_MS: '0',
  UPSTREAM_QUOTA_TPS: '50',
  EMULATOR_QUOTA_TPS: '0',
};

// Each test its own session: the emulator's store outlives a test.
let sessions = 0;
const freshSession = () => `st-HiveTest${String(sessions++).padStart(5, '0')}`;

/** One call to the emulator's admin API, as an operator's script would make it; fails on anything but 2xx. */
async function admin(stack: Stack, method: 'POST' | 'PATCH' | 'DELETE', body: Record<string, unknown>) {
  const response = await fetch(`${stack.emulator.url}/_emulator/participants`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.ok(response.ok, `${method} /_emulator/participants: ${response.status} ${await response.text()}`);
}

/** One query POSTed to the router, as a web client would send it. */
async function queryRouter(supergraph: Supergraph, query: string): Promise<{ data?: unknown; errors?: unknown[] }> {
  const response = await fetch(supergraph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: unknown; errors?: unknown[] };
}

const flaggedQuery = '{ flaggedParticipants { participantId userId } }';
const flaggedAnswer = {
  flaggedParticipants: [
    { participantId: 'alice', userId: 'user-alice' },
    { participantId: 'bob', userId: 'user-bob' },
  ],
};

for (const transport of ['ws', 'sse'] as const) {
  describe(`subscriptions through Hive Gateway, which reaches this subgraph over ${transport}`, () => {
    let stack: Stack;
    let supergraph: Supergraph;

    before(async () => {
      stack = await startStack({ env: fast });
      supergraph = await startHiveSupergraph(stack, moderation, { subscriptions: transport });
    });
    after(async () => {
      await supergraph.stop();
      await stack.close();
    });

    test(
      'participantChanged: the participant first, then a change made at the emulator',
      { timeout: 30_000 },
      async () => {
        const sessionId = freshSession();
        await admin(stack, 'POST', { ...demo, sessionId, participant: alice });
        const updates = subscribeSseAt<ParticipantData>(supergraph.url, participantChanged, {
          ...demo,
          sessionId,
          participantId: 'alice',
        });
        assert.deepEqual((await updates.next()).data?.participantChanged, {
          participantId: 'alice',
          published: true,
          state: 'CONNECTED',
        });

        await admin(stack, 'PATCH', { ...demo, sessionId, participantId: 'alice', published: false });
        assert.deepEqual((await updates.next()).data?.participantChanged, {
          participantId: 'alice',
          published: false,
          state: 'CONNECTED',
        });
        await updates.stop();
      },
    );

    test('rosterChanged: everyone first (reset), then who joined and who left', { timeout: 30_000 }, async () => {
      const sessionId = freshSession();
      await admin(stack, 'POST', { ...demo, sessionId, participant: { ...alice, participantId: 'ann' } });
      await admin(stack, 'POST', { ...demo, sessionId, participant: { ...alice, participantId: 'ben' } });
      const updates = subscribeSseAt<RosterData>(supergraph.url, rosterChanged, { ...demo, sessionId });
      const first = (await updates.next()).data?.rosterChanged;
      assert.deepEqual([first?.reset, ids(first?.joined)], [true, ['ann', 'ben']]);

      await admin(stack, 'POST', { ...demo, sessionId, participant: { ...alice, participantId: 'cat' } });
      const joined = (await updates.next()).data?.rosterChanged;
      assert.deepEqual([joined?.reset, ids(joined?.joined), joined?.changed, joined?.left], [false, ['cat'], [], []]);

      await admin(stack, 'DELETE', { ...demo, sessionId, participantId: 'ann' });
      const left = (await updates.next()).data?.rosterChanged;
      assert.deepEqual([left?.reset, left?.joined, left?.changed, ids(left?.left)], [false, [], [], ['ann']]);
      await updates.stop();
    });
  });
}

describe('a query through Hive Gateway', () => {
  let stack: Stack;
  let supergraph: Supergraph;

  before(async () => {
    stack = await startStack();
    supergraph = await startHiveSupergraph(stack, moderation, { subscriptions: 'ws' });
  });
  after(async () => {
    await supergraph.stop();
    await stack.close();
  });

  test(
    'participant fields of another subgraph’s references come from this subgraph, one IVS call per key',
    { timeout: 30_000 },
    async () => {
      const body = await queryRouter(supergraph, flaggedQuery);
      assert.equal(body.errors, undefined, JSON.stringify(body.errors));
      assert.deepEqual(body.data, flaggedAnswer);
      assert.equal(stack.emulator.stats().calls, 2);
    },
  );
});

describe('through Hive Gateway to a subgraph that requires an API key', () => {
  const routerKey = 'hive-router-key-0123456789abcdef';
  let stack: Stack;

  before(async () => {
    stack = await startStack({
      env: {
        ...fast,
        AUTH_MODE: 'api-key',
        AUTH_API_KEYS: JSON.stringify([{ name: 'router', sha256: hashApiKey(routerKey), stages: [demo.stageArn] }]),
      },
    });
  });
  after(() => stack.close());

  for (const transport of ['ws', 'sse'] as const) {
    test(
      `Hive Gateway presents the key configured for it, for queries and subscriptions over ${transport}`,
      { timeout: 30_000 },
      async () => {
        const supergraph = await startHiveSupergraph(stack, moderation, {
          subscriptions: transport,
          apiKey: routerKey,
        });
        try {
          const body = await queryRouter(supergraph, flaggedQuery);
          assert.equal(body.errors, undefined, JSON.stringify(body.errors));
          assert.deepEqual(body.data, flaggedAnswer);
          const updates = subscribeSseAt<ParticipantData>(supergraph.url, participantChanged, {
            ...demo,
            participantId: 'alice',
          });
          const first = await updates.next();
          assert.equal(first.errors, undefined, JSON.stringify(first.errors));
          assert.equal(first.data?.participantChanged.participantId, 'alice');
          await updates.stop();
        } finally {
          await supergraph.stop();
        }
      },
    );
  }
});
