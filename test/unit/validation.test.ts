import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LookupError } from '../../src/errors.js';
import {
  pageSizeProblem,
  rosterFilterProblem,
  validateParticipantKey,
  type ServedStages,
} from '../../src/validation.js';

const valid = {
  stageArn: 'arn:aws:ivs:us-east-1:123456789012:stage/abcdABCDefgh',
  sessionId: 'st-a1b2c3d4e5f6g',
  participantId: 'p-1',
};
const served = { regions: ['us-east-1'], accountId: '123456789012' };

function problemOf(input: Record<string, unknown>, servedStages: ServedStages = served): string {
  try {
    validateParticipantKey({ ...valid, ...input }, servedStages);
  } catch (error) {
    assert.ok(error instanceof LookupError);
    assert.equal(error.code, 'BAD_USER_INPUT');
    return error.message;
  }
  assert.fail('expected BAD_USER_INPUT');
}

describe('validateParticipantKey', () => {
  test('accepts a key within IVS limits and returns only the key fields', () => {
    assert.deepEqual(validateParticipantKey({ ...valid, __typename: 'Participant' } as typeof valid, served), valid);
    const longest = { ...valid, participantId: 'a'.repeat(64) };
    assert.deepEqual(validateParticipantKey(longest, served), longest);
  });

  test('names each bad field', () => {
    const message = problemOf({ stageArn: 'nope', sessionId: 'st-1' });
    assert.match(message, /stageArn/);
    assert.match(message, /sessionId/);
    assert.doesNotMatch(message, /participantId/);
  });

  for (const [field, value] of [
    ['stageArn', 'arn:aws:ivs:us-east-1:123456789012:channel/abc'],
    ['stageArn', 'arn:aws:ivs:US-EAST-1:123456789012:stage/abc'],
    ['stageArn', `arn:aws:ivs:us-east-1:123456789012:stage/${'a'.repeat(100)}`],
    ['sessionId', 'st-a1b2c3d4e5f6'],
    ['sessionId', 'st-a1b2c3d4e5f6gh'],
    ['sessionId', 'st-a1b2c3d4e5f_g'],
    ['participantId', ''],
    ['participantId', 'a'.repeat(65)],
    ['participantId', 'é'],
    ['participantId', 42],
    ['participantId', null],
  ] as const) {
    test(`rejects ${field} = ${JSON.stringify(value)?.slice(0, 30)}`, () => {
      assert.match(problemOf({ [field]: value }), new RegExp(field));
    });
  }

  test('refuses a stage in another region, naming the region served', () => {
    const message = problemOf({ stageArn: 'arn:aws:ivs:eu-west-1:123456789012:stage/abcdABCDefgh' });
    assert.match(message, /eu-west-1/);
    assert.match(message, /serves stages in us-east-1/);
  });

  test('with several regions, accepts a stage in any of them and names them all when refusing', () => {
    const twoRegions = { regions: ['us-east-1', 'eu-central-1'], accountId: '123456789012' };
    const frankfurt = { stageArn: 'arn:aws:ivs:eu-central-1:123456789012:stage/abcdABCDefgh' };
    assert.deepEqual(validateParticipantKey({ ...valid, ...frankfurt }, twoRegions), { ...valid, ...frankfurt });
    assert.match(
      problemOf({ stageArn: 'arn:aws:ivs:eu-west-1:123456789012:stage/abcdABCDefgh' }, twoRegions),
      /serves stages in us-east-1, eu-central-1 of account 123456789012 only/,
    );
  });

  test('refuses a stage of another account when the account is known, and accepts any account when not', () => {
    const otherAccount = { stageArn: 'arn:aws:ivs:us-east-1:999999999999:stage/abcdABCDefgh' };
    assert.match(problemOf(otherAccount), /account 123456789012 only/);
    const unknownAccount = { regions: ['us-east-1'], accountId: null };
    assert.deepEqual(validateParticipantKey({ ...valid, ...otherAccount }, unknownAccount), {
      ...valid,
      ...otherAccount,
    });
    assert.match(
      problemOf({ stageArn: 'arn:aws:ivs:eu-west-1:1:stage/x' }, unknownAccount),
      /serves stages in us-east-1 only/,
    );
  });
});

describe('page size and roster filter: the one rule the resolvers and the request budget share', () => {
  test('a page holds 1 to 100 items; a refusal names the connection when one is given', () => {
    for (const first of [1, 50, 100]) assert.equal(pageSizeProblem(first), undefined);
    assert.equal(pageSizeProblem(0), 'first must be between 1 and 100, got 0');
    assert.equal(pageSizeProblem(101, 'participants'), 'participants(first:) must be between 1 and 100, got 101');
    for (const first of [1.5, null, '10']) assert.notEqual(pageSizeProblem(first), undefined, String(first));
  });

  test('one condition at most, a userId IVS can take, never DISABLED', () => {
    for (const filter of [undefined, null, {}, { state: 'CONNECTED', published: null }, { userId: 'u'.repeat(128) }]) {
      assert.equal(rosterFilterProblem(filter), undefined, JSON.stringify(filter));
    }
    assert.deepEqual(rosterFilterProblem({ state: 'CONNECTED', userId: 'u' }), {
      message: 'IVS filters a roster on one field per call; got state, userId',
      reason: 'ONE_FILTER',
    });
    assert.deepEqual(rosterFilterProblem({ userId: 'u'.repeat(129) }), {
      message: 'filter.userId must be at most 128 characters',
    });
    assert.deepEqual(rosterFilterProblem({ recordingState: 'DISABLED' }), {
      message: 'filter.recordingState cannot be DISABLED: IVS does not filter on it',
    });
  });
});
