import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { globalId } from '../../src/globalId.js';
import { demo, startStack, type GraphQLResponse, type Stack } from '../helpers/stack.js';

// The request budget prices what execution will run: variables coerced with their defaults, fields collected
// with fragments and @include/@skip, every IVS operation a document can reach. Calls are counted at the emulator.

const load = { stageArn: 'arn:aws:ivs:us-east-1:123456789012:stage/LoadStage01', sessionId: 'st-LoadSession01' };
// A quota far above the limits, so each test measures the budget, not the rate limiter.
const roomy = { UPSTREAM_CACHE_MAX_ENTRIES: '0', UPSTREAM_QUOTA_TPS: '1000' };

/** Every IVS call the emulator received, whatever the operation. */
function allCalls(stack: Stack): number {
  return Object.values(stack.emulator.stats().byOperation).reduce((sum, counts) => sum + counts.calls, 0);
}

function assertRefused(response: GraphQLResponse, code: string, limit?: string): void {
  assert.equal(response.status, 400, JSON.stringify(response.body));
  assert.equal(response.body.errors?.length, 1);
  assert.equal(response.body.errors?.[0]?.extensions?.code, code);
  if (limit !== undefined) assert.equal(response.body.errors?.[0]?.extensions?.limit, limit);
  assert.equal(response.body.data, undefined);
}

/** POSTs a batch and returns the HTTP status and one body per operation (or the request's error body). */
async function batch(stack: Stack, operations: { query: string; variables?: Record<string, unknown> }[]) {
  const response = await fetch(`${stack.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(operations),
  });
  const body: unknown = await response.json();
  return { status: response.status, body };
}

type BatchResult = GraphQLResponse['body'];
const codesOf = (results: BatchResult[]) => results.map((result) => result.errors?.[0]?.extensions?.['code'] ?? 'ok');
// One operation of the batch ran, the one that would cross the budget was refused (in either order).
const oneRefused = (results: BatchResult[]) =>
  assert.deepEqual(
    codesOf(results)
      .map((code) => (code === 'QUERY_TOO_COMPLEX' ? code : 'ran'))
      .sort(),
    ['QUERY_TOO_COMPLEX', 'ran'],
  );

describe('request budget: variable defaults, fragments and directives are priced as execution runs them', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: roomy, emulator: { generatedParticipants: { ...load, count: 100 } } });
  });
  after(async () => stack.close());
  beforeEach(() => stack.emulator.reset());

  test('a roster of 100 with detail fields through a defaulted session variable is refused (participants), no call', async () => {
    const response = await stack.graphql(`query($s: String! = "${load.sessionId}") {
      stageSession(stageArn: "${load.stageArn}", sessionId: $s) {
        participants(first: 100) { nodes { participantId ispName } }
      }
    }`);
    assertRefused(response, 'QUERY_TOO_COMPLEX', 'participants');
    assert.match(response.body.errors?.[0]?.message ?? '', /100 distinct participants; at most 50/);
    assert.equal(allCalls(stack), 0);
  });

  test('a defaulted page size counts as its default, not the schema’s', async () => {
    const response = await stack.graphql(`query($n: Int = 100) {
      stageSession(stageArn: "${load.stageArn}", sessionId: "${load.sessionId}") {
        participants(first: $n) { nodes { participantId ispName } }
      }
    }`);
    assertRefused(response, 'QUERY_TOO_COMPLEX', 'participants');
    assert.equal(allCalls(stack), 0);
  });

  test('events(first: 1) under 100 roster nodes is refused against the list-call limit of 10, no call', async () => {
    const response = await stack.graphql(`query($s: String! = "${load.sessionId}") {
      stageSession(stageArn: "${load.stageArn}", sessionId: $s) {
        participants(first: 100) { nodes { participantId events(first: 1) { nodes { name } } } }
      }
    }`);
    assertRefused(response, 'QUERY_TOO_COMPLEX', 'listCalls');
    assert.match(response.body.errors?.[0]?.message ?? '', /101 list calls/);
    assert.equal(allCalls(stack), 0);
  });

  test('@include(if: $x) with a default true counts the included subtree; false leaves it out and the rest runs', async () => {
    const query = (x: boolean) => `query($x: Boolean = ${x}) {
      stageSession(stageArn: "${load.stageArn}", sessionId: "${load.sessionId}") {
        participants(first: 100) { nodes { participantId ...Detail @include(if: $x) } }
      }
    }
    fragment Detail on Participant { ispName }`;
    assertRefused(await stack.graphql(query(true)), 'QUERY_TOO_COMPLEX', 'participants');
    assert.equal(allCalls(stack), 0);

    const { status, body } = await stack.graphql(query(false));
    assert.equal(status, 200, JSON.stringify(body.errors));
    assert.equal(body.errors, undefined);
    assert.equal(stack.emulator.stats().byOperation.ListParticipants.calls, 1);
    assert.equal(stack.emulator.stats().calls, 0, 'no GetParticipant: no detail field ran');
  });

  test('@skip with a variable that overrides the default is read from the request', async () => {
    const response = await stack.graphql(
      `query($skip: Boolean = true) {
        stageSession(stageArn: "${load.stageArn}", sessionId: "${load.sessionId}") {
          participants(first: 100) @skip(if: $skip) { nodes { ispName } }
        }
      }`,
      { skip: false },
    );
    assertRefused(response, 'QUERY_TOO_COMPLEX', 'participants');
    assert.equal(allCalls(stack), 0);
  });

  test('node(id:) through a defaulted variable costs the lookup its ID names', async () => {
    const ids = Array.from({ length: 51 }, (_, i) =>
      globalId({ type: 'Participant', key: { ...load, participantId: `p-${String(i).padStart(4, '0')}` } }),
    );
    const definitions = ids.map((id, i) => `$id${i}: ID! = "${id}"`).join(', ');
    const fields = ids.map((_, i) => `n${i}: node(id: $id${i}) { id }`).join('\n');
    assertRefused(await stack.graphql(`query(${definitions}) { ${fields} }`), 'QUERY_TOO_COMPLEX', 'participants');
    assert.equal(allCalls(stack), 0);
  });

  test('variables that do not coerce are refused with BAD_USER_INPUT before any call', async () => {
    const response = await stack.graphql(
      `query($n: Int) {
        stageSession(stageArn: "${load.stageArn}", sessionId: "${load.sessionId}") {
          participants(first: $n) { nodes { participantId } }
        }
      }`,
      { n: 'many' },
    );
    assertRefused(response, 'BAD_USER_INPUT');
    assert.equal(allCalls(stack), 0);
  });

  test('within the budget, a defaulted roster query runs and costs what it priced', async () => {
    const { status, body } = await stack.graphql(`query($s: String! = "${load.sessionId}", $n: Int = 50) {
      stageSession(stageArn: "${load.stageArn}", sessionId: $s) {
        participants(first: $n) { nodes { participantId ispName } }
      }
    }`);
    assert.equal(status, 200, JSON.stringify(body.errors));
    assert.equal(body.errors, undefined);
    assert.equal(stack.emulator.stats().calls, 50);
  });
});

describe('request budget: stage and session lookups', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: roomy });
  });
  after(async () => stack.close());
  beforeEach(() => stack.emulator.reset());

  const stageArn = (i: number) => `arn:aws:ivs:us-east-1:123456789012:stage/Budget${String(i).padStart(4, '0')}`;

  test('_entities with 300 distinct Stage representations is refused (stageLookups), no call', async () => {
    const representations = Array.from({ length: 300 }, (_, i) => ({ __typename: 'Stage', arn: stageArn(i) }));
    const response = await stack.graphql(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Stage { name } } }',
      { r: representations },
    );
    assertRefused(response, 'QUERY_TOO_COMPLEX', 'stageLookups');
    assert.match(response.body.errors?.[0]?.message ?? '', /300 stage and session lookups.*at most 50/);
    assert.equal(allCalls(stack), 0);
  });

  test('51 distinct stages by alias are refused; the same stage 60 times counts once and runs', async () => {
    const stages = (arns: string[]) => `{ ${arns.map((arn, i) => `s${i}: stage(arn: "${arn}") { name }`).join('\n')} }`;
    const distinct = Array.from({ length: 51 }, (_, i) => stageArn(i));
    assertRefused(await stack.graphql(stages(distinct)), 'QUERY_TOO_COMPLEX', 'stageLookups');
    assert.equal(allCalls(stack), 0);

    const { status, body } = await stack.graphql(stages(Array.from({ length: 60 }, () => demo.stageArn)));
    assert.equal(status, 200, JSON.stringify(body.errors));
    assert.equal(stack.emulator.stats().byOperation.GetStage.calls, 1);
  });

  test('node IDs, stageSession fields and activeSession under each stage share the one budget', async () => {
    const nodes = Array.from(
      { length: 30 },
      (_, i) => `n${i}: node(id: "${globalId({ type: 'Stage', arn: stageArn(i) })}") { id }`,
    );
    const sessions = Array.from(
      { length: 21 },
      (_, i) => `t${i}: stageSession(stageArn: "${demo.stageArn}", sessionId: "st-Budget${i}") { sessionId }`,
    );
    assertRefused(
      await stack.graphql(`{ ${[...nodes, ...sessions].join('\n')} }`),
      'QUERY_TOO_COMPLEX',
      'stageLookups',
    );

    // 26 stages, each with its active session: 52 lookups.
    const representations = Array.from({ length: 26 }, (_, i) => ({ __typename: 'Stage', arn: stageArn(i) }));
    const response = await stack.graphql(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Stage { activeSession { sessionId } } } }',
      { r: representations },
    );
    assertRefused(response, 'QUERY_TOO_COMPLEX', 'stageLookups');
    assert.equal(allCalls(stack), 0);
  });

  test('a roster participant’s session costs one lookup per page, not one per participant', async () => {
    const { status, body } = await stack.graphql(`{
      stageSession(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}") {
        participants(first: 100) { nodes { participantId session { sessionId } } }
      }
    }`);
    assert.equal(status, 200, JSON.stringify(body.errors));
    assert.equal(body.errors, undefined);
  });
});

describe('request budget: a batch is one HTTP request', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      env: { ...roomy, GRAPHQL_BATCHING: 'true', GRAPHQL_BATCH_MAX_OPERATIONS: '4' },
      emulator: { generatedParticipants: { ...load, count: 100 } },
    });
  });
  after(async () => stack.close());
  beforeEach(() => stack.emulator.reset());

  const roster = (first: number, detail: string) => ({
    query: `{ stageSession(stageArn: "${load.stageArn}", sessionId: "${load.sessionId}") {
      participants(first: ${first}) { nodes { participantId ${detail} } } } }`,
  });

  test('roster detail lookups of all operations share LIMIT_PARTICIPANTS_PER_REQUEST', async () => {
    const { body } = await batch(stack, [roster(30, 'ispName'), roster(30, 'osName')]);
    oneRefused(body as BatchResult[]);
    assert.match(JSON.stringify(body), /This batch can ask for 60 distinct participants; at most 50/);
    assert.ok(stack.emulator.stats().calls <= 30, `GetParticipant calls: ${stack.emulator.stats().calls}`);
  });

  test('list calls of all operations share LIMIT_LIST_CALLS_PER_REQUEST', async () => {
    const events = roster(6, 'events(first: 1) { nodes { name } }'); // 1 roster page + 6 event pages = 7
    const { body } = await batch(stack, [events, events]);
    oneRefused(body as BatchResult[]);
    const listCalls = stack.emulator.stats().byOperation;
    assert.ok(listCalls.ListParticipants.calls + listCalls.ListParticipantEvents.calls <= 7);
  });

  test('stage lookups of all operations share LIMIT_STAGE_LOOKUPS_PER_REQUEST', async () => {
    const stages = (from: number) => ({
      query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Stage { name } } }',
      variables: {
        r: Array.from({ length: 30 }, (_, i) => ({
          __typename: 'Stage',
          arn: `arn:aws:ivs:us-east-1:123456789012:stage/Batch${from + i}`,
        })),
      },
    });
    const { body } = await batch(stack, [stages(0), stages(100)]);
    oneRefused(body as BatchResult[]);
    assert.ok(stack.emulator.stats().byOperation.GetStage.calls <= 30);
  });

  test('more operations than GRAPHQL_BATCH_MAX_OPERATIONS: HTTP 400 BATCH_TOO_LARGE, nothing runs', async () => {
    const { status, body } = await batch(
      stack,
      Array.from({ length: 5 }, () => roster(1, 'ispName')),
    );
    assert.equal(status, 400);
    const errors = (body as BatchResult).errors;
    assert.equal(errors?.[0]?.extensions?.['code'], 'BATCH_TOO_LARGE');
    assert.equal(allCalls(stack), 0);

    const within = await batch(
      stack,
      Array.from({ length: 4 }, () => roster(1, 'participantId')),
    );
    assert.equal(within.status, 200);
    assert.deepEqual(codesOf(within.body as BatchResult[]), ['ok', 'ok', 'ok', 'ok']);
  });
});
