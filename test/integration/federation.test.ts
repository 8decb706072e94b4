import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { printSubgraphSdl } from '../../src/printSchema.js';
import { demo, startStack, type Stack } from '../helpers/stack.js';
import { moderationTypeDefs, startSupergraph, type Supergraph } from '../helpers/supergraph.js';

const flagged = ['alice', 'bob', 'alice', 'ghost', 'bob', 'alice'].map((participantId) => ({ ...demo, participantId }));

describe('as a Federation 2 subgraph behind @apollo/gateway', () => {
  let stack: Stack;
  let supergraph: Supergraph;
  let routerUrl: string;

  before(async () => {
    stack = await startStack();
    supergraph = await startSupergraph(stack, {
      name: 'moderation',
      typeDefs: moderationTypeDefs,
      resolvers: { Query: { flaggedParticipants: () => flagged } },
    });
    routerUrl = supergraph.url;
  });
  after(async () => {
    await supergraph.stop();
    await stack.close();
  });
  beforeEach(() => stack.emulator.reset());

  test('participant fields come from this subgraph with one IVS call per distinct key; a missing one is null with NOT_FOUND', async () => {
    const response = await fetch(routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ flaggedParticipants { participantId userId state } }' }),
    });
    const body = (await response.json()) as {
      data: { flaggedParticipants: ({ participantId: string; userId: string } | null)[] };
      errors?: { message: string; extensions?: Record<string, unknown> }[];
    };
    assert.deepEqual(
      body.data.flaggedParticipants.map((p) => p?.userId ?? null),
      ['user-alice', 'user-bob', 'user-alice', null, 'user-bob', 'user-alice'],
    );
    assert.equal(body.errors?.length, 1);
    assert.equal(body.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    const stats = stack.emulator.stats();
    assert.equal(stats.calls, 3);
    assert.ok(Object.values(stats.byKey).every((count) => count === 1));
  });

  test('the SDL served by _service equals `npm run print-schema` and keeps the entity key', async () => {
    const { body } = await stack.graphql<{ _service: { sdl: string } }>('{ _service { sdl } }');
    assert.equal(body.data?._service.sdl, await printSubgraphSdl());
    assert.match(body.data?._service.sdl ?? '', /@key\(fields: "stageArn sessionId participantId"\)/);
  });
});

describe('_entities called directly', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack.close());
  beforeEach(() => stack.emulator.reset());

  const entitiesQuery = `query($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Participant { participantId userId } }
  }`;
  const representation = (fields: Record<string, unknown>) => ({ __typename: 'Participant', ...demo, ...fields });

  test('representations of mixed validity resolve or fail one by one; a bad one costs no IVS call', async () => {
    const { body } = await stack.graphql<{ _entities: ({ participantId: string } | null)[] }>(entitiesQuery, {
      representations: [
        representation({ participantId: 'alice' }),
        representation({ participantId: 'bob', stageArn: 'arn:aws:ivs:us-east-1:123:channel/nope' }),
        representation({ participantId: 'ghost' }),
        representation({ participantId: 'alice' }),
        representation({ participantId: 42 }),
      ],
    });
    assert.deepEqual(
      body.data?._entities.map((entity) => entity?.participantId ?? null),
      ['alice', null, null, 'alice', null],
    );
    const codeAt = (index: number) => body.errors?.find((e) => e.path?.[1] === index)?.extensions?.code;
    assert.equal(codeAt(1), 'BAD_USER_INPUT');
    assert.equal(codeAt(2), 'NOT_FOUND');
    assert.equal(codeAt(4), 'BAD_USER_INPUT');
    assert.equal(body.errors?.length, 3);
    // alice once, ghost once: the invalid representations never reached IVS.
    assert.equal(stack.emulator.stats().calls, 2);
  });

  test('fifty representations over twenty-five keys make twenty-five IVS calls', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `p-${String(i % 25).padStart(4, '0')}`);
    const wide = await startStack({ emulator: { generatedParticipants: { ...demo, count: 25 } } });
    try {
      const { body } = await wide.graphql<{ _entities: { participantId: string }[] }>(entitiesQuery, {
        representations: ids.map((participantId) => representation({ participantId })),
      });
      assert.equal(body.errors, undefined);
      assert.deepEqual(
        body.data?._entities.map((e) => e.participantId),
        ids,
      );
      assert.equal(wide.emulator.stats().calls, 25);
    } finally {
      await wide.close();
    }
  });
});
