import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GraphQLObjectType } from 'graphql';
import { LookupError } from '../../src/errors.js';
import { participantDetailFields } from '../../src/model.js';
import { Participant } from '../../src/resolvers/Participant.js';
import { buildSchema } from '../../src/schema.js';
import { createCursorCodec } from '../../src/resolvers/cursor.js';
import { globalId, parseGlobalId, type NodeRef } from '../../src/globalId.js';
import { validateRosterFilter } from '../../src/validation.js';

const badInput = (error: unknown) => error instanceof LookupError && error.code === 'BAD_USER_INPUT';

describe('global IDs', () => {
  test('round-trip each type and refuse anything else', () => {
    const refs: NodeRef[] = [
      { type: 'Stage', arn: 'arn:aws:ivs:us-east-1:123456789012:stage/abc' },
      { type: 'StageSession', key: { stageArn: 'arn:aws:ivs:us-east-1:1:stage/a', sessionId: 'st-a' } },
      {
        type: 'Participant',
        key: { stageArn: 'arn:aws:ivs:us-east-1:1:stage/a', sessionId: 'st-a', participantId: 'p' },
      },
    ];
    for (const ref of refs) assert.deepEqual(parseGlobalId(globalId(ref)), ref);
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const id of ['', 'not base64 json', encode(['Stage']), encode(['Channel', 'x']), encode(['Stage', 1])]) {
      assert.throws(() => parseGlobalId(id), badInput, id);
    }
  });
});

describe('cursors', () => {
  const secret = 'a-cursor-secret-of-at-least-32-characters';
  const cursors = createCursorCodec(secret);

  test('decode only for the connection that issued them, and only unaltered', () => {
    const cursor = cursors.encode('roster A', { nextToken: 'tok', skip: 3 });
    assert.deepEqual(cursors.decode('roster A', cursor), { nextToken: 'tok', skip: 3 });
    assert.deepEqual(cursors.decode('roster A', cursors.encode('roster A', { skip: 0 })), {
      nextToken: undefined,
      skip: 0,
    });
    assert.throws(() => cursors.decode('roster B', cursor), badInput);
    const [token, , signature] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    const altered = Buffer.from(JSON.stringify([token, 4, signature])).toString('base64url');
    assert.throws(() => cursors.decode('roster A', altered), badInput);
    assert.throws(() => cursors.decode('roster A', 'tok'), badInput, 'a raw IVS token is not a cursor');
  });

  test('a cursor signed with another secret is refused; one with the same secret is accepted anywhere', () => {
    const cursor = cursors.encode('roster A', { nextToken: 'tok', skip: 3 });
    assert.deepEqual(createCursorCodec(secret).decode('roster A', cursor), { nextToken: 'tok', skip: 3 });
    const other = createCursorCodec('another-secret-of-at-least-32-characters');
    assert.throws(() => other.decode('roster A', cursor), badInput);
  });

  test('a signed cursor whose token IVS could not have issued is refused', () => {
    for (const nextToken of ['A'.repeat(1025), 'has spaces', 'quote"s']) {
      assert.throws(() => cursors.decode('roster A', cursors.encode('roster A', { nextToken, skip: 0 })), badInput);
    }
    assert.deepEqual(cursors.decode('roster A', cursors.encode('roster A', { nextToken: 'A'.repeat(1024), skip: 0 })), {
      nextToken: 'A'.repeat(1024),
      skip: 0,
    });
  });
});

describe('roster filter', () => {
  test('takes at most one condition, as IVS does', () => {
    assert.equal(validateRosterFilter(undefined), undefined);
    assert.equal(validateRosterFilter({ state: null }), undefined);
    assert.deepEqual(validateRosterFilter({ published: false }), { by: 'published', published: false });
    assert.deepEqual(validateRosterFilter({ userId: 'u', state: null }), { by: 'userId', userId: 'u' });
    assert.throws(() => validateRosterFilter({ userId: 'u', published: true }), badInput);
    assert.throws(() => validateRosterFilter({ recordingState: 'DISABLED' }), badInput);
  });
});

describe('roster participants', () => {
  test('every Participant field is a key, a roster summary field, a detail field or a relation', () => {
    const fields = Object.keys((buildSchema().getType('Participant') as GraphQLObjectType).getFields());
    const summary = ['userId', 'state', 'firstJoinTime', 'published', 'recordingState', 'replicationType'];
    const moreSummary = ['replicationState', 'sourceStageArn', 'sourceSessionId', 'redundantIngest'];
    const known = new Set<string>([
      ...['id', 'stageArn', 'sessionId', 'participantId', 'session', 'events'],
      ...summary,
      ...moreSummary,
      'ingestConfigurationArn',
      ...participantDetailFields,
    ]);
    assert.deepEqual(
      fields.filter((field) => !known.has(field)),
      [],
      'a new field must say whether a roster page has it (else add it to participantDetailFields)',
    );
    for (const field of participantDetailFields) assert.ok(Participant[field], `${field} loads the full participant`);
  });
});
