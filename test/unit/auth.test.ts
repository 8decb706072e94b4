import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createApiKeyAuthenticator, hashApiKey, parseApiKeys } from '../../src/auth/apiKeys.js';
import { AuthenticationError } from '../../src/auth/authenticator.js';
import { authorizeParticipantKey, createStageAccess, isStagePattern } from '../../src/auth/principal.js';
import { ConfigError } from '../../src/config.js';
import { ErrorCode, LookupError } from '../../src/errors.js';

const stage = (account: string, id: string) => `arn:aws:ivs:us-east-1:${account}:stage/${id}`;

describe('stage patterns', () => {
  test('* grants every stage', () => {
    assert.ok(createStageAccess(['*']).allows(stage('123456789012', 'abc')));
  });

  test('an exact ARN grants that stage only, not one that merely starts with it', () => {
    const access = createStageAccess([stage('123456789012', 'abc')]);
    assert.ok(access.allows(stage('123456789012', 'abc')));
    assert.ok(!access.allows(stage('123456789012', 'abcd')));
  });

  test('a prefix ending in * grants the stages under it and nothing in another account or region', () => {
    const access = createStageAccess(['arn:aws:ivs:us-east-1:123456789012:stage/*']);
    assert.ok(access.allows(stage('123456789012', 'abc')));
    assert.ok(!access.allows(stage('999999999999', 'abc')));
    assert.ok(!access.allows('arn:aws:ivs:eu-west-1:123456789012:stage/abc'));
  });

  test('patterns with * anywhere but the end, and empty patterns, grant nothing', () => {
    for (const pattern of ['arn:aws:ivs:*:123456789012:stage/abc', '*abc', '', '**']) {
      assert.equal(isStagePattern(pattern), false, pattern);
      assert.ok(!createStageAccess([pattern]).allows(stage('123456789012', 'abc')), pattern);
    }
  });

  test('the fingerprint is equal exactly when the grants are (it keys the response cache)', () => {
    const fingerprint = (patterns: string[]) => createStageAccess(patterns).fingerprint;
    assert.equal(fingerprint(['arn:b', 'arn:a*']), fingerprint(['arn:a*', 'arn:b']));
    assert.notEqual(fingerprint(['arn:a*']), fingerprint(['arn:a*', 'arn:b']));
    assert.notEqual(fingerprint(['arn:a']), fingerprint(['arn:a*']));
    assert.equal(fingerprint(['*', 'bad*pattern']), fingerprint(['*']));
  });

  test('no patterns grant nothing', () => {
    assert.ok(!createStageAccess([]).allows(stage('123456789012', 'abc')));
  });

  test('a key outside the grants fails FORBIDDEN with reason STAGE_NOT_ALLOWED; inside, the key passes unchanged', () => {
    const principal = { id: 'test', stages: createStageAccess([stage('123456789012', 'ok')]) };
    const allowed = { stageArn: stage('123456789012', 'ok'), sessionId: 'st-DemoSession01', participantId: 'a' };
    assert.equal(authorizeParticipantKey(principal, allowed), allowed);
    assert.throws(
      () => authorizeParticipantKey(principal, { ...allowed, stageArn: stage('123456789012', 'no') }),
      (error: unknown) =>
        error instanceof LookupError &&
        error.code === ErrorCode.FORBIDDEN &&
        error.details.reason === 'STAGE_NOT_ALLOWED',
    );
  });
});

describe('API keys', () => {
  const entry = (overrides: Record<string, unknown> = {}) => ({
    name: 'dashboard',
    sha256: hashApiKey('k'),
    stages: ['*'],
    ...overrides,
  });

  test('hashApiKey is the SHA-256 of the key, as lowercase hex', () => {
    assert.equal(hashApiKey('hello'), '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  });

  for (const [name, json] of [
    ['not JSON', '{'],
    ['an empty list', '[]'],
    ['a hash that is not 64 hex digits', JSON.stringify([entry({ sha256: 'abc' })])],
    ['a key without stages', JSON.stringify([entry({ stages: [] })])],
    ['a bad stage pattern', JSON.stringify([entry({ stages: ['arn:*:x'] })])],
    ['a name with spaces', JSON.stringify([entry({ name: 'my key' })])],
    ['duplicate names', JSON.stringify([entry(), entry({ sha256: hashApiKey('other') })])],
    ['duplicate hashes', JSON.stringify([entry(), entry({ name: 'other' })])],
    ['a zero weight', JSON.stringify([entry({ weight: 0 })])],
    ['a weight above 100', JSON.stringify([entry({ weight: 101 })])],
    ['a weight that is not a number', JSON.stringify([entry({ weight: '2' })])],
    ['a revalidate flag that is not a boolean', JSON.stringify([entry({ revalidate: 'no' })])],
  ] as const) {
    test(`a key list with ${name} is a ConfigError naming the variable`, () => {
      assert.throws(
        () => parseApiKeys(json, 'AUTH_API_KEYS'),
        (error: unknown) =>
          error instanceof ConfigError && /^Invalid configuration: AUTH_API_KEYS: /.test(error.message),
      );
    });
  }

  const authenticator = createApiKeyAuthenticator(
    parseApiKeys(
      JSON.stringify([
        entry(),
        entry({ name: 'ops', sha256: hashApiKey('ops-key'), stages: ['arn:aws:ivs:*'], weight: 2, revalidate: false }),
      ]),
      'AUTH_API_KEYS',
    ),
  );
  const failure = async (headers: Record<string, string | string[]>) => {
    try {
      await authenticator.authenticate(headers);
    } catch (error) {
      if (error instanceof AuthenticationError) return error.failure;
      throw error;
    }
    return 'authenticated';
  };

  test('a known key becomes a principal named after the key, with its stage grants', async () => {
    const principal = await authenticator.authenticate({ 'x-api-key': 'ops-key' });
    assert.equal(principal.id, 'api-key:ops');
    assert.equal(principal.label, 'ops');
    assert.ok(principal.stages.allows(stage('123456789012', 'abc')));
  });

  test("a key's quota share comes from its entry: weight and revalidation, defaulting to 1 and allowed", async () => {
    assert.deepEqual((await authenticator.authenticate({ 'x-api-key': 'ops-key' })).share, {
      weight: 2,
      mayRevalidate: false,
    });
    assert.deepEqual((await authenticator.authenticate({ 'x-api-key': 'k' })).share, {
      weight: 1,
      mayRevalidate: true,
    });
  });

  test('missing, unknown, repeated and oversized keys are refused', async () => {
    assert.equal(await failure({}), 'missing');
    assert.equal(await failure({ 'x-api-key': 'unknown' }), 'invalid');
    assert.equal(await failure({ 'x-api-key': ['k', 'k'] }), 'invalid');
    assert.equal(await failure({ 'x-api-key': 'k'.repeat(10_000) }), 'invalid');
  });
});
