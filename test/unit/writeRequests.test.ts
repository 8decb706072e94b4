import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createStageAccess, defaultQuotaShare, type Principal, type WriteRights } from '../../src/auth/principal.js';
import { LookupError } from '../../src/errors.js';
import { authorizeDisconnect, authorizeMint } from '../../src/tokens/writeRequests.js';

const stage = 'arn:aws:ivs:us-east-1:123456789012:stage/DemoStage01';
const served = { regions: ['us-east-1'], accountId: '123456789012' };

function principal(rights: Partial<WriteRights>, stages = ['*']): Principal {
  return {
    id: 'test',
    label: 'test',
    stages: createStageAccess(stages),
    share: defaultQuotaShare,
    rights: { mint: [], disconnect: false, fixedUserId: undefined, ...rights },
  };
}

function refused(run: () => unknown): { code: string; reason: string | undefined } {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof LookupError);
    return { code: error.code, reason: error.details.reason };
  }
  assert.fail('expected a refusal');
}

describe('authorizeMint', () => {
  const minter = principal({ mint: ['PUBLISH', 'SUBSCRIBE'] });

  test('defaults: every capability the caller may grant, 720 minutes, no attributes', () => {
    assert.deepEqual(authorizeMint(principal({ mint: ['SUBSCRIBE'] }), { stageArn: stage }, served), {
      stageArn: stage,
      userId: undefined,
      attributes: {},
      capabilities: ['SUBSCRIBE'],
      durationMinutes: 720,
    });
  });

  test('a caller bound to a user ID gets it by default and may not name another', () => {
    const user = principal({ mint: ['SUBSCRIBE'], fixedUserId: 'user-1' });
    assert.equal(authorizeMint(user, { stageArn: stage }, served).userId, 'user-1');
    assert.equal(authorizeMint(user, { stageArn: stage, userId: 'user-1' }, served).userId, 'user-1');
    assert.deepEqual(
      refused(() => authorizeMint(user, { stageArn: stage, userId: 'user-2' }, served)),
      {
        code: 'FORBIDDEN',
        reason: 'USER_ID_NOT_ALLOWED',
      },
    );
  });

  test('attributes: exactly 1 KB passes, one byte more is refused, multi-byte characters count as bytes', () => {
    const attributes = (value: string) => [{ key: 'k', value }];
    assert.doesNotThrow(() =>
      authorizeMint(minter, { stageArn: stage, attributes: attributes('x'.repeat(1023)) }, served),
    );
    assert.equal(
      refused(() => authorizeMint(minter, { stageArn: stage, attributes: attributes('x'.repeat(1024)) }, served)).code,
      'BAD_USER_INPUT',
    );
    assert.equal(
      refused(() => authorizeMint(minter, { stageArn: stage, attributes: attributes('é'.repeat(512)) }, served)).code,
      'BAD_USER_INPUT',
    );
  });

  test('a key given twice is refused; "__proto__" is an ordinary key', () => {
    const twice = [
      { key: 'a', value: '1' },
      { key: 'a', value: '2' },
    ];
    assert.equal(
      refused(() => authorizeMint(minter, { stageArn: stage, attributes: twice }, served)).code,
      'BAD_USER_INPUT',
    );
    const request = authorizeMint(minter, { stageArn: stage, attributes: [{ key: '__proto__', value: 'x' }] }, served);
    assert.equal(Object.getOwnPropertyDescriptor(request.attributes, '__proto__')?.value, 'x');
  });

  test('the right to mint is checked first, then input, then the stage grant and the capabilities', () => {
    assert.equal(refused(() => authorizeMint(principal({}), { stageArn: 'bad' }, served)).reason, 'MINT_NOT_ALLOWED');
    const narrow = principal({ mint: ['SUBSCRIBE'] }, ['arn:aws:ivs:us-east-1:123456789012:stage/Other']);
    assert.equal(refused(() => authorizeMint(narrow, { stageArn: stage }, served)).reason, 'STAGE_NOT_ALLOWED');
    assert.equal(
      refused(() =>
        authorizeMint(principal({ mint: ['SUBSCRIBE'] }), { stageArn: stage, capabilities: ['PUBLISH'] }, served),
      ).reason,
      'CAPABILITY_NOT_ALLOWED',
    );
  });
});

describe('authorizeDisconnect', () => {
  test('needs the right to disconnect and a granted stage; the participant ID meets IVS constraints', () => {
    assert.equal(
      refused(() =>
        authorizeDisconnect(principal({ mint: ['PUBLISH'] }), { stageArn: stage, participantId: 'a' }, served),
      ).reason,
      'DISCONNECT_NOT_ALLOWED',
    );
    const host = principal({ disconnect: true });
    assert.deepEqual(authorizeDisconnect(host, { stageArn: stage, participantId: 'Mx6clRRHODPy' }, served), {
      stageArn: stage,
      participantId: 'Mx6clRRHODPy',
      reason: undefined,
    });
    assert.equal(
      refused(() => authorizeDisconnect(host, { stageArn: stage, participantId: '' }, served)).code,
      'BAD_USER_INPUT',
    );
  });
});
