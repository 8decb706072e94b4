import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { demo, startStack, type GraphQLResponse, type Stack } from '../helpers/stack.js';

const noCache = { UPSTREAM_CACHE_MAX_ENTRIES: '0' };
const generated = { stageArn: 'arn:aws:ivs:us-east-1:123456789012:stage/LoadStage01', sessionId: 'st-LoadSession01' };

/** One aliased `participant` field per id, in one query. */
function participantsQuery(ids: string[], key: { stageArn: string; sessionId: string } = demo): string {
  const fields = ids.map(
    (id, i) =>
      `p${i}: participant(stageArn: "${key.stageArn}", sessionId: "${key.sessionId}", participantId: "${id}") { participantId }`,
  );
  return `{ ${fields.join('\n')} }`;
}

const entitiesQuery = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Participant { participantId } }
}`;
const representation = (participantId: string) => ({ __typename: 'Participant', ...demo, participantId });

function assertTooComplex(response: GraphQLResponse, limit: string): void {
  assert.equal(response.status, 400);
  assert.equal(response.body.errors?.length, 1);
  assert.equal(response.body.errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
  assert.equal(response.body.errors?.[0]?.extensions?.limit, limit);
  assert.equal(response.body.data, undefined);
}

describe('query limits (small limits so each is easy to cross)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      env: {
        ...noCache,
        LIMIT_PARTICIPANTS_PER_REQUEST: '3',
        LIMIT_QUERY_DEPTH: '4',
        LIMIT_ALIASES: '5',
        // The depth test reaches its depth through introspection, which is off beyond the local demo.
        GRAPHQL_INTROSPECTION: 'true',
        LIMIT_DIRECTIVES: '3',
        LIMIT_TOKENS: '400',
        HTTP_BODY_LIMIT_BYTES: '4096',
      },
    });
  });
  after(async () => stack.close());
  beforeEach(() => stack.emulator.reset());

  test('more distinct participants than allowed: QUERY_TOO_COMPLEX (participants), no IVS call', async () => {
    const response = await stack.graphql(participantsQuery(['alice', 'bob', 'a', 'b']));
    assertTooComplex(response, 'participants');
    assert.match(response.body.errors?.[0]?.message ?? '', /4 distinct participants; at most 3/);
    assert.equal(stack.emulator.stats().calls, 0);
  });

  test('repeats of the same participant count once', async () => {
    const { status, body } = await stack.graphql(participantsQuery(['alice', 'alice', 'bob', 'bob', 'alice']));
    assert.equal(status, 200);
    assert.equal(body.errors, undefined);
    assert.equal(stack.emulator.stats().calls, 2);
  });

  test('participants passed in variables and spread through fragments count as well', async () => {
    const query = `query($a: String!, $b: String!, $c: String!, $d: String!) {
      ...F
      x: participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: $c) { userId }
      y: participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: $d) { userId }
    }
    fragment F on Query {
      a: participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: $a) { userId }
      b: participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: $b) { userId }
    }`;
    assertTooComplex(await stack.graphql(query, { a: 'p1', b: 'p2', c: 'p3', d: 'p4' }), 'participants');
    assert.equal(stack.emulator.stats().calls, 0);
  });

  test('_entities: more distinct representations than allowed is QUERY_TOO_COMPLEX, no IVS call', async () => {
    const representations = ['alice', 'bob', 'carl', 'dora'].map(representation);
    assertTooComplex(await stack.graphql(entitiesQuery, { representations }), 'participants');
    assert.equal(stack.emulator.stats().calls, 0);
  });

  test('_entities: a router’s repeated representations count once per distinct key', async () => {
    const representations = ['alice', 'bob', 'alice', 'bob', 'alice', 'ghost'].map(representation);
    const { status } = await stack.graphql(entitiesQuery, { representations });
    assert.equal(status, 200);
    assert.equal(stack.emulator.stats().calls, 3);
  });

  test('a document deeper than LIMIT_QUERY_DEPTH: QUERY_TOO_COMPLEX (depth)', async () => {
    const response = await stack.graphql(
      '{ __type(name: "Participant") { fields { type { ofType { ofType { name } } } } } }',
    );
    assertTooComplex(response, 'depth');
    assert.match(response.body.errors?.[0]?.message ?? '', /depth limit of 4/);
  });

  test('more aliases than LIMIT_ALIASES: QUERY_TOO_COMPLEX (aliases)', async () => {
    const aliases = Array.from({ length: 6 }, (_, i) => `a${i}: __typename`).join(' ');
    assertTooComplex(await stack.graphql(`{ ${aliases} }`), 'aliases');
  });

  test('more directives than LIMIT_DIRECTIVES: QUERY_TOO_COMPLEX (directives)', async () => {
    const fields = Array.from({ length: 4 }, (_, i) => `a${i}: __typename @include(if: true)`).join(' ');
    assertTooComplex(await stack.graphql(`{ ${fields} }`), 'directives');
  });

  test('a document longer than LIMIT_TOKENS stops the parser: GRAPHQL_PARSE_FAILED, 400', async () => {
    const response = await stack.graphql(`{ ${'a '.repeat(500)} }`);
    assert.equal(response.status, 400);
    assert.equal(response.body.errors?.[0]?.extensions?.code, 'GRAPHQL_PARSE_FAILED');
    assert.match(response.body.errors?.[0]?.message ?? '', /contains more th\w+ 400 tokens/);
  });

  test('a body over HTTP_BODY_LIMIT_BYTES: 413 PAYLOAD_TOO_LARGE, no IVS call', async () => {
    const response = await stack.graphql(participantsQuery(['alice']), { padding: 'x'.repeat(5000) });
    assert.equal(response.status, 413);
    assert.equal(response.body.errors?.[0]?.extensions?.code, 'PAYLOAD_TOO_LARGE');
    assert.equal(stack.emulator.stats().calls, 0);
  });

  test('batched requests are refused while GRAPHQL_BATCHING is off', async () => {
    const response = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: participantsQuery(['alice']) }, { query: participantsQuery(['bob']) }]),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as GraphQLResponse['body'];
    assert.equal(body.errors?.[0]?.extensions?.code, 'BAD_REQUEST');
    assert.equal(stack.emulator.stats().calls, 0);
  });

  test('within every limit, the request runs', async () => {
    const { status, body } = await stack.graphql(participantsQuery(['alice', 'bob', 'ghost']));
    assert.equal(status, 200);
    assert.equal(stack.emulator.stats().calls, 3);
    assert.deepEqual(body.data?.p0, { participantId: 'alice' });
  });
});

describe('query limits at their defaults', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      // A quota far above the 50 lookups, so the test measures limits, not the rate limiter.
      env: { ...noCache, UPSTREAM_QUOTA_TPS: '1000' },
      emulator: { generatedParticipants: { ...generated, count: 51 } },
    });
  });
  after(async () => stack.close());
  beforeEach(() => stack.emulator.reset());

  const ids = (count: number) => Array.from({ length: count }, (_, i) => `p-${String(i).padStart(4, '0')}`);

  test('50 distinct participants with every field fit in one request', async () => {
    const fields = `participantId userId state firstJoinTime attributes { key value } published ispName osName osVersion
      browserName browserVersion sdkVersion recordingState protocol replicationType`;
    const query = participantsQuery(ids(50), generated).replaceAll('{ participantId }', `{ ${fields} }`);
    const { status, body } = await stack.graphql(query);
    assert.equal(status, 200, JSON.stringify(body.errors));
    assert.equal(body.errors, undefined);
    assert.equal(stack.emulator.stats().calls, 50);
  });

  test('the 51st is refused before any IVS call', async () => {
    assertTooComplex(await stack.graphql(participantsQuery(ids(51), generated)), 'participants');
    assert.equal(stack.emulator.stats().calls, 0);
  });
});

describe('batching when enabled', () => {
  test('the operations of a batch share one participant budget: over it, the operation that crosses it is refused and costs no call', async () => {
    const stack = await startStack({
      env: { GRAPHQL_BATCHING: 'true', LIMIT_PARTICIPANTS_PER_REQUEST: '3' },
      emulator: { generatedParticipants: { ...demo, count: 4 } },
    });
    try {
      const batch = async (operations: string[][]) => {
        const response = await fetch(`${stack.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(operations.map((ids) => ({ query: participantsQuery(ids) }))),
        });
        return (await response.json()) as { errors?: { extensions?: Record<string, unknown> }[] }[];
      };
      // Four distinct participants in two operations of two: one operation runs, the other is refused.
      const over = await batch([
        ['p-0000', 'p-0001'],
        ['p-0002', 'p-0003'],
      ]);
      const refused = over.filter((result) => result.errors?.[0]?.extensions?.['code'] === 'QUERY_TOO_COMPLEX');
      assert.equal(refused.length, 1);
      assert.equal(refused[0]?.errors?.[0]?.extensions?.['limit'], 'participants');
      assert.equal(stack.emulator.stats().calls, 2);

      // The same participants asked twice in one batch count once.
      stack.emulator.reset();
      const repeated = await batch([
        ['alice', 'bob'],
        ['bob', 'alice'],
      ]);
      assert.deepEqual(
        repeated.map((result) => result.errors),
        [undefined, undefined],
      );
    } finally {
      await stack.close();
    }
  });

  test('GRAPHQL_BATCHING=true answers a batch with one result per operation', async () => {
    const stack = await startStack({ env: { GRAPHQL_BATCHING: 'true' } });
    try {
      const response = await fetch(`${stack.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([{ query: participantsQuery(['alice']) }, { query: participantsQuery(['bob']) }]),
      });
      assert.equal(response.status, 200);
      const results = (await response.json()) as { data: { p0: { participantId: string } } }[];
      assert.deepEqual(
        results.map((result) => result.data.p0.participantId),
        ['alice', 'bob'],
      );
    } finally {
      await stack.close();
    }
  });
});
