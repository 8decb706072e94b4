import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { faults, type EmulatedOperation } from '../../src/emulator/server.js';
import { demo, startStack, type Stack } from '../helpers/stack.js';

const roster = { stageArn: 'arn:aws:ivs:us-east-1:123456789012:stage/RosterStage01', sessionId: 'st-RosterSess250' };
const summaryFields = `participantId userId state firstJoinTime published recordingState replicationType
  replicationState sourceStageArn sourceSessionId redundantIngest ingestConfigurationArn`;

const rosterQuery = (
  selection: string,
) => `query Roster($stageArn: String!, $sessionId: String!, $first: Int, $after: String, $filter: ParticipantFilter) {
  stageSession(stageArn: $stageArn, sessionId: $sessionId) {
    participants(first: $first, after: $after, filter: $filter) {
      edges { cursor node { ${selection} } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

interface RosterData {
  stageSession: {
    participants: {
      edges: { cursor: string; node: Record<string, unknown> }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
  } | null;
}

describe('stages, sessions, rosters and participant history over HTTP, calls counted per operation', () => {
  let stack: Stack;
  const calls = (operation: EmulatedOperation) => stack.emulator.stats().byOperation[operation].calls;
  const allCalls = () => Object.values(stack.emulator.stats().byOperation).reduce((sum, op) => sum + op.calls, 0);
  const page = async (
    variables: Record<string, unknown>,
    selection = 'participantId',
    headers?: Record<string, string>,
  ) => {
    const response = await stack.graphql<RosterData>(rosterQuery(selection), { ...roster, ...variables }, headers);
    assert.equal(response.body.errors, undefined, JSON.stringify(response.body.errors));
    const connection = response.body.data?.stageSession?.participants;
    assert.ok(connection);
    return connection;
  };

  before(async () => {
    stack = await startStack({
      env: {
        // Room for a 100-participant page of detail lookups, and TTLs long enough for "a repeat within the TTL".
        UPSTREAM_QUOTA_TPS: '1000',
        LIMIT_PARTICIPANTS_PER_REQUEST: '100',
        UPSTREAM_CACHE_TTL_MS_BY_OPERATION: 'GetParticipant=600000,ListParticipants=600000',
        GRAPHQL_RESPONSE_CACHE_TTL_SECONDS: '0',
        // The pagination test forces one call per page with no-cache.
        UPSTREAM_REVALIDATE_MIN_INTERVAL_MS: '0',
      },
      emulator: { generatedParticipants: { ...roster, count: 250 } },
    });
  });
  after(async () => {
    await stack.close();
  });
  beforeEach(() => {
    stack.emulator.reset();
  });

  test('a 100-participant roster selecting summary fields costs one ListParticipants call and no GetParticipant', async () => {
    const connection = await page({ first: 100, after: null }, summaryFields);
    assert.equal(connection.edges.length, 100);
    assert.deepEqual(connection.edges[4]?.node, {
      participantId: 'p-0004',
      userId: 'user-0004',
      state: 'DISCONNECTED',
      firstJoinTime: '2025-01-15T10:00:04.000Z',
      published: true,
      recordingState: 'DISABLED',
      replicationType: 'NONE',
      replicationState: null,
      sourceStageArn: null,
      sourceSessionId: null,
      redundantIngest: false,
      ingestConfigurationArn: null,
    });
    assert.equal(calls('ListParticipants'), 1);
    assert.equal(calls('GetParticipant'), 0);
  });

  test('selecting attributes adds one lookup per participant on the page, and none on a repeat within the TTL', async () => {
    const selection = 'participantId attributes { key value } ispName';
    // A distinct page size keeps this page apart from other tests' cached pages.
    const first = await page({ first: 99, filter: { published: true } }, selection);
    assert.equal(first.edges.length, 99);
    assert.deepEqual(first.edges[0]?.node, {
      participantId: 'p-0000',
      attributes: [{ key: 'displayName', value: 'Participant 0' }],
      ispName: 'Example ISP',
    });
    assert.equal(calls('ListParticipants'), 1);
    assert.equal(calls('GetParticipant'), 99, 'one lookup per participant, however many detail fields');
    stack.emulator.reset();
    const repeat = await page({ first: 99, filter: { published: true } }, selection);
    assert.deepEqual(repeat, first);
    assert.equal(calls('GetParticipant'), 0);
    assert.equal(calls('ListParticipants'), 0);
  });

  test('pages through 250 participants with endCursor: 100, 100, 50, in order, one list call per page', async () => {
    const ids: unknown[] = [];
    const sizes: number[] = [];
    let after: string | null = null;
    let hasNextPage = true;
    while (hasNextPage) {
      // no-cache: earlier tests left the first page in the cache, and this one counts every page's call.
      const connection = await page({ first: 100, after }, 'participantId', { 'cache-control': 'no-cache' });
      sizes.push(connection.edges.length);
      ids.push(...connection.edges.map((edge) => edge.node['participantId']));
      ({ hasNextPage, endCursor: after } = connection.pageInfo);
    }
    assert.deepEqual(sizes, [100, 100, 50]);
    assert.deepEqual(
      ids,
      Array.from({ length: 250 }, (_, i) => `p-${String(i).padStart(4, '0')}`),
    );
    assert.equal(calls('ListParticipants'), 3);
    assert.ok(!after?.includes('nextToken'), 'cursors are opaque');
  });

  test('an edge cursor resumes right after its participant', async () => {
    const connection = await page({ first: 20 });
    const tenth = connection.edges[9]?.cursor;
    const resumed = await page({ first: 5, after: tenth });
    assert.deepEqual(
      resumed.edges.map((edge) => edge.node['participantId']),
      ['p-0010', 'p-0011', 'p-0012', 'p-0013', 'p-0014'],
    );
  });

  test('each filter selects its participants', async () => {
    const ids = async (filter: Record<string, unknown>) =>
      (await page({ first: 100, filter })).edges.map((edge) => edge.node['participantId']);
    assert.deepEqual(await ids({ userId: 'user-0042' }), ['p-0042']);
    assert.deepEqual((await ids({ state: 'DISCONNECTED' })).slice(0, 2), ['p-0004', 'p-0009']);
    assert.deepEqual((await ids({ published: false })).slice(0, 2), ['p-0001', 'p-0003']);
    assert.deepEqual(await ids({ recordingState: 'ACTIVE' }), []);
    assert.equal(calls('ListParticipants'), 4);
  });

  test('two filters, first outside 1-100 and a recording filter IVS lacks are BAD_USER_INPUT with no IVS call at all', async () => {
    for (const variables of [
      { first: 10, filter: { state: 'CONNECTED', published: true } },
      { first: 0 },
      { first: 101 },
      { first: 10, filter: { recordingState: 'DISABLED' } },
    ]) {
      const { status, body } = await stack.graphql<RosterData>(rosterQuery('participantId'), {
        ...roster,
        ...variables,
      });
      assert.equal(status, 400, JSON.stringify(variables));
      assert.equal(body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    }
    assert.equal(allCalls(), 0);
  });

  test('the filter rule reads the same before execution and in the resolver: ONE_FILTER, userId too long, 400, no call', async () => {
    const refusal = async (filter: Record<string, unknown>) => {
      const { status, body } = await stack.graphql<RosterData>(rosterQuery('participantId'), {
        ...roster,
        first: 10,
        filter,
      });
      assert.equal(status, 400, JSON.stringify(filter));
      return body.errors?.[0];
    };
    const twoFilters = await refusal({ state: 'CONNECTED', published: true });
    assert.equal(twoFilters?.extensions?.['reason'], 'ONE_FILTER');
    assert.equal(twoFilters?.message, 'IVS filters a roster on one field per call; got state, published');
    const longUserId = await refusal({ userId: 'u'.repeat(129) });
    assert.equal(longUserId?.extensions?.code, 'BAD_USER_INPUT');
    assert.equal(longUserId?.message, 'filter.userId must be at most 128 characters');
    assert.equal(allCalls(), 0);
  });

  test('a cursor that was altered or comes from another connection is BAD_USER_INPUT and lists nothing', async () => {
    const { pageInfo } = await page({ first: 10 });
    const cursor = pageInfo.endCursor ?? '';
    stack.emulator.reset();
    const raw = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    const tampered = Buffer.from(JSON.stringify([raw[0], 3, raw[2]])).toString('base64url');
    for (const variables of [{ after: tampered }, { after: cursor, filter: { published: true } }, { after: 'abc' }]) {
      const { body } = await stack.graphql<RosterData>(rosterQuery('participantId'), {
        ...roster,
        first: 10,
        ...variables,
      });
      assert.equal(body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(variables));
    }
    assert.equal(calls('ListParticipants'), 0);
  });

  test('a participant history: events in order, error codes and replication, no token values', async () => {
    const { body } = await stack.graphql<{
      participant: { events: { nodes: Record<string, unknown>[]; pageInfo: { hasNextPage: boolean } } };
    }>(
      `query($stageArn: String!, $sessionId: String!) {
        participant(stageArn: $stageArn, sessionId: $sessionId, participantId: "alice") {
          events(first: 10) {
            nodes { name eventTime remoteParticipantId errorCode replica destinationStageArn destinationSessionId }
            pageInfo { hasNextPage }
          }
        }
      }`,
      demo,
    );
    assert.equal(body.errors, undefined);
    const events = body.data?.participant.events.nodes ?? [];
    assert.deepEqual(
      events.map((event) => event['name']),
      ['JOINED', 'PUBLISH_STARTED', 'SUBSCRIBE_STARTED', 'SUBSCRIBE_ERROR', 'TOKEN_EXCHANGED', 'REPLICATION_STARTED'],
    );
    assert.deepEqual(events[3], {
      name: 'SUBSCRIBE_ERROR',
      eventTime: '2025-01-15T09:31:15.000Z',
      remoteParticipantId: 'bob',
      errorCode: 'INSUFFICIENT_CAPABILITIES',
      replica: null,
      destinationStageArn: null,
      destinationSessionId: null,
    });
    assert.equal(events[5]?.['destinationSessionId'], 'st-DemoSession02');
    assert.equal(body.data?.participant.events.pageInfo.hasNextPage, false);
    assert.equal(calls('ListParticipantEvents'), 1);
    const tokens = await stack.graphql(
      `{ participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "alice") { events { nodes { newToken } } } }`,
    );
    assert.equal(tokens.body.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
  });

  test('an event name or error code IVS adds later reads as null', async () => {
    stack.emulator.setEvents(demo.stageArn, demo.sessionId, 'bob', [
      { name: 'TELEPORTED', eventTime: '2025-01-15T09:40:00.000Z', errorCode: 'TOO_FAR' },
    ]);
    const { body } = await stack.graphql<{ participant: { events: { nodes: unknown[] } } }>(
      `{ participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "bob") { events { nodes { name errorCode eventTime } } } }`,
    );
    assert.equal(body.errors, undefined);
    assert.deepEqual(body.data?.participant.events.nodes, [
      { name: null, errorCode: null, eventTime: '2025-01-15T09:40:00.000Z' },
    ]);
  });

  test('a stage with its tags, active session and sessions newest first', async () => {
    const { body } = await stack.graphql<{ stage: Record<string, unknown> }>(
      `{ stage(arn: "${demo.stageArn}") {
        arn name activeSessionId tags { key value }
        activeSession { sessionId endTime }
        sessions(first: 1) { nodes { sessionId startTime endTime } pageInfo { hasNextPage } }
      } }`,
    );
    assert.equal(body.errors, undefined);
    assert.deepEqual(body.data?.stage, {
      arn: demo.stageArn,
      name: 'Demo stage',
      activeSessionId: demo.sessionId,
      tags: [{ key: 'env', value: 'demo' }],
      activeSession: { sessionId: demo.sessionId, endTime: null },
      sessions: {
        nodes: [{ sessionId: demo.sessionId, startTime: '2025-01-15T09:29:30.000Z', endTime: null }],
        pageInfo: { hasNextPage: true },
      },
    });
    assert.deepEqual([calls('GetStage'), calls('GetStageSession'), calls('ListStageSessions')], [1, 1, 1]);
  });

  test('node(id:) refetches a stage, a session and a participant by the id they returned', async () => {
    const { body } = await stack.graphql<{
      stage: { id: string; activeSession: { id: string; participants: { nodes: { id: string }[] } } };
    }>(`{ stage(arn: "${demo.stageArn}") { id activeSession { id participants(first: 1) { nodes { id } } } } }`);
    assert.equal(body.errors, undefined);
    const stage = body.data?.stage;
    const ids = [stage?.id, stage?.activeSession.id, stage?.activeSession.participants.nodes[0]?.id];
    const refetched = await Promise.all(
      ids.map((id) =>
        stack.graphql<{ node: Record<string, unknown> }>(
          `query($id: ID!) { node(id: $id) { __typename id
            ... on Stage { arn } ... on StageSession { sessionId } ... on Participant { participantId userId } } }`,
          { id },
        ),
      ),
    );
    assert.deepEqual(
      refetched.map((r) => r.body.data?.node),
      [
        { __typename: 'Stage', id: ids[0], arn: demo.stageArn },
        { __typename: 'StageSession', id: ids[1], sessionId: demo.sessionId },
        { __typename: 'Participant', id: ids[2], participantId: 'alice', userId: 'user-alice' },
      ],
    );
    stack.emulator.reset();
    const bad = await stack.graphql(`{ node(id: "not-an-id") { id } }`);
    assert.equal(bad.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.equal(allCalls(), 0);
  });

  test('an unknown stage is null with NOT_FOUND; a malformed ARN is BAD_USER_INPUT with no call', async () => {
    const missing = await stack.graphql<{ stage: unknown }>(
      `{ stage(arn: "arn:aws:ivs:us-east-1:123456789012:stage/Nope") { name } }`,
    );
    assert.equal(missing.body.data?.stage, null);
    assert.equal(missing.body.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    stack.emulator.reset();
    const malformed = await stack.graphql(`{ stage(arn: "arn:aws:ivs:us-east-1:123:channel/x") { name } }`);
    assert.equal(malformed.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const session = await stack.graphql(
      `{ stageSession(stageArn: "${demo.stageArn}", sessionId: "st-short") { sessionId } }`,
    );
    assert.equal(session.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.equal(allCalls(), 0);
  });

  test('a failing ListParticipants maps like any IVS failure and leaves the session and participants working', async () => {
    stack.emulator.injectFault(faults.accessDenied(), { operation: 'ListParticipants', times: Infinity });
    try {
      const { body } = await stack.graphql<{ stageSession: { sessionId: string } | null; participant: unknown }>(
        `query($stageArn: String!, $sessionId: String!) {
          stageSession(stageArn: $stageArn, sessionId: $sessionId) { sessionId participants(first: 3) { nodes { participantId } } }
          participant(stageArn: $stageArn, sessionId: $sessionId, participantId: "alice") { participantId }
        }`,
        demo,
      );
      assert.equal(body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      assert.deepEqual(body.errors?.[0]?.path, ['stageSession', 'participants']);
      assert.deepEqual(body.data?.participant, { participantId: 'alice' });
    } finally {
      stack.emulator.clearFaults();
    }
  });
});

describe('each IVS operation has its own quota', () => {
  test('ListParticipants queued behind its quota does not hold back GetParticipant', async (t) => {
    const stack = await startStack({
      env: {
        UPSTREAM_QUOTA_TPS_BY_OPERATION: 'ListParticipants=1',
        UPSTREAM_CACHE_MAX_ENTRIES: '0',
        GRAPHQL_RESPONSE_CACHE_TTL_SECONDS: '0',
      },
    });
    t.after(() => stack.close());
    const finished: string[] = [];
    // Distinct filters: each is its own call, so five wait for one ListParticipants slot per second.
    const rosters = Array.from({ length: 5 }, (_, i) =>
      stack
        .graphql(rosterQuery('participantId'), { ...demo, first: 5, filter: { userId: `user-${i}` } })
        .then(() => finished.push(`roster ${i}`)),
    );
    const participant = await stack.graphql<{ participant: { userId: string } }>(
      `{ participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "alice") { userId } }`,
    );
    finished.push('participant');
    assert.equal(participant.body.data?.participant.userId, 'user-alice');
    await Promise.all(rosters);
    assert.ok(
      finished.indexOf('participant') < 4,
      `participant answered before the queued rosters: ${finished.join(', ')}`,
    );
    const { byOperation } = stack.emulator.stats();
    assert.equal(byOperation.ListParticipants.calls, 5);
    assert.equal(byOperation.ListParticipants.throttled, 0, 'the gateway kept to the quota itself');
  });
});

describe('the request budget counts what a roster can cost', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: { LIMIT_PARTICIPANTS_PER_REQUEST: '50', LIMIT_LIST_CALLS_PER_REQUEST: '5' } });
  });
  after(async () => {
    await stack.close();
  });
  beforeEach(() => {
    stack.emulator.reset();
  });
  const totalCalls = () =>
    Object.values(stack.emulator.stats().byOperation).reduce((sum, operation) => sum + operation.calls, 0);

  test('a page of 100 with a detail field can cost 100 lookups: QUERY_TOO_COMPLEX before any call', async () => {
    const { status, body } = await stack.graphql(rosterQuery('participantId osName'), { ...demo, first: 100 });
    assert.equal(status, 400);
    assert.equal(body.errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
    assert.equal(body.errors?.[0]?.extensions?.limit, 'participants');
    assert.equal(totalCalls(), 0);
    const summary = await stack.graphql(rosterQuery('participantId state'), { ...demo, first: 100 });
    assert.equal(summary.body.errors, undefined, 'summary fields cost no lookup, so the same page fits');
  });

  test('rosters under every session of a page multiply: QUERY_TOO_COMPLEX (listCalls) before any call', async () => {
    const query = `{ stage(arn: "${demo.stageArn}") {
      sessions(first: 5) { nodes { participants(first: 10) { nodes { participantId } } } }
    } }`;
    const { status, body } = await stack.graphql(query);
    assert.equal(status, 400);
    assert.equal(body.errors?.[0]?.extensions?.limit, 'listCalls');
    assert.match(body.errors?.[0]?.message ?? '', /6 list calls/);
    assert.equal(totalCalls(), 0);
    const fits = await stack.graphql(query.replace('first: 5', 'first: 4'));
    assert.equal(fits.body.errors, undefined);
  });
});
