import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createCursorCodec } from '../../src/resolvers/cursor.js';
import { startStack, type Stack } from '../helpers/stack.js';

const roster = { stageArn: 'arn:aws:ivs:us-east-1:123456789012:stage/RosterStage01', sessionId: 'st-RosterSess250' };
const rosterConnection = JSON.stringify(['ListParticipants', roster.stageArn, roster.sessionId, null]);
const secret = 'cursor-secret-shared-by-every-replica-0123456789';

const rosterQuery = `query Roster($stageArn: String!, $sessionId: String!, $first: Int, $after: String) {
  stageSession(stageArn: $stageArn, sessionId: $sessionId) {
    participants(first: $first, after: $after) {
      nodes { participantId }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

interface RosterData {
  stageSession: {
    participants: { nodes: { participantId: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
  } | null;
}

// The cursor of the report: a 2,000-character raw token under the former unkeyed check of public inputs.
function forgedCursor(token: string): string {
  const check = createHash('sha256')
    .update(JSON.stringify([rosterConnection, token, 0]))
    .digest('base64url')
    .slice(0, 22);
  return Buffer.from(JSON.stringify([token, 0, check])).toString('base64url');
}

describe('cursors are signed with GRAPHQL_CURSOR_SECRET and accepted by every replica that shares it', () => {
  let first: Stack;
  let second: Stack;
  let stranger: Stack;
  const listCalls = (stack: Stack) => stack.emulator.stats().byOperation.ListParticipants.calls;
  const ask = (stack: Stack, variables: Record<string, unknown>) =>
    stack.graphql<RosterData>(rosterQuery, { ...roster, first: 10, ...variables });

  before(async () => {
    // Two replicas (and one of another deployment) in front of identically seeded IVS accounts: the emulator's
    // page tokens depend only on the listing, as a shared IVS's would.
    const start = (env: Record<string, string>) =>
      startStack({
        env: { GRAPHQL_RESPONSE_CACHE_TTL_SECONDS: '0', UPSTREAM_CACHE_MAX_ENTRIES: '0', ...env },
        emulator: { generatedParticipants: { ...roster, count: 250 } },
      });
    [first, second, stranger] = await Promise.all([
      start({ GRAPHQL_CURSOR_SECRET: secret }),
      start({ GRAPHQL_CURSOR_SECRET: secret }),
      start({ GRAPHQL_CURSOR_SECRET: 'a-different-secret-of-another-deployment' }),
    ]);
  });
  after(() => Promise.all([first, second, stranger].map((stack) => stack.close())));
  beforeEach(() => {
    for (const stack of [first, second, stranger]) stack.emulator.reset();
  });

  test('a cursor from one replica reads the next page on another replica', { timeout: 30_000 }, async () => {
    const page1 = await ask(first, {});
    const endCursor = page1.body.data?.stageSession?.participants.pageInfo.endCursor;
    assert.ok(endCursor, JSON.stringify(page1.body));
    const page2 = await ask(second, { after: endCursor });
    assert.equal(page2.body.errors, undefined, JSON.stringify(page2.body.errors));
    const ids = (page: typeof page1) => page.body.data?.stageSession?.participants.nodes.map((n) => n.participantId);
    assert.equal(ids(page2)?.length, 10);
    assert.ok(!ids(page2)?.some((id) => ids(page1)?.includes(id)), 'the second page follows the first');
  });

  test(
    'a cursor signed with a different secret is BAD_USER_INPUT and costs no IVS call',
    { timeout: 30_000 },
    async () => {
      const endCursor = (await ask(stranger, {})).body.data?.stageSession?.participants.pageInfo.endCursor;
      assert.ok(endCursor);
      const answer = await ask(first, { after: endCursor });
      assert.equal(answer.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(listCalls(first), 0);
    },
  );

  test(
    "the issue's forged cursor around a 2,000-character token is BAD_USER_INPUT with 0 IVS calls",
    { timeout: 30_000 },
    async () => {
      const answer = await ask(first, { after: forgedCursor('A'.repeat(2000)) });
      assert.equal(answer.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(listCalls(first), 0);
    },
  );

  test(
    'even a correctly signed cursor is refused, with 0 IVS calls, when its token breaks IVS constraints',
    { timeout: 30_000 },
    async () => {
      const cursors = createCursorCodec(secret);
      for (const nextToken of ['A'.repeat(2000), 'not a token!']) {
        const answer = await ask(first, { after: cursors.encode(rosterConnection, { nextToken, skip: 0 }) });
        assert.equal(answer.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', nextToken);
      }
      assert.equal(listCalls(first), 0);
    },
  );
});
