import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { ErrorCode, LookupError } from '../../src/errors.js';
import type { Deadline } from '../../src/upstream/deadline.js';
import { createRetrier } from '../../src/upstream/retry.js';

const backoffs: number[] = [];
const retry = createRetrier({
  maxAttempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 1000,
  sleep: async (ms) => void backoffs.push(ms),
});
const plenty: Pick<Deadline, 'remainingMs'> = { remainingMs: () => 60_000 };

const unavailable = () =>
  new LookupError(ErrorCode.UPSTREAM_UNAVAILABLE, 'IVS failed', { ivs: { httpStatus: 500, retryable: true } });
const notFound = () =>
  new LookupError(ErrorCode.NOT_FOUND, 'no such participant', { ivs: { httpStatus: 404, retryable: false } });

/** An attempt that fails with the given errors in turn, then succeeds; counts its calls. */
function attempts(...failures: LookupError[]) {
  let calls = 0;
  return {
    run: async () => {
      const failure = failures[calls];
      calls += 1;
      if (failure) throw failure;
      return 'ok';
    },
    calls: () => calls,
  };
}

describe('retry', () => {
  beforeEach(() => {
    backoffs.length = 0;
  });

  test('a retryable failure is tried again until it succeeds', async () => {
    const attempt = attempts(unavailable(), unavailable());
    assert.equal(await retry(attempt.run, plenty), 'ok');
    assert.equal(attempt.calls(), 3);
    assert.equal(backoffs.length, 2);
    assert.ok(
      backoffs.every((ms) => ms >= 0 && ms <= 1000),
      `capped backoffs, got ${backoffs.join(', ')}`,
    );
  });

  test('gives up with the last failure after maxAttempts', async () => {
    const attempt = attempts(unavailable(), unavailable(), unavailable());
    await assert.rejects(retry(attempt.run, plenty), { code: ErrorCode.UPSTREAM_UNAVAILABLE });
    assert.equal(attempt.calls(), 3);
  });

  test('a failure IVS marks as not retryable (NOT_FOUND) is not tried again', async () => {
    const attempt = attempts(notFound());
    await assert.rejects(retry(attempt.run, plenty), { code: ErrorCode.NOT_FOUND });
    assert.equal(attempt.calls(), 1);
  });

  test("the gateway's own refusals (no IVS details) are not tried again", async () => {
    const attempt = attempts(new LookupError(ErrorCode.THROTTLED, 'queue full', { retryAfterSeconds: 1 }));
    await assert.rejects(retry(attempt.run, plenty), { code: ErrorCode.THROTTLED });
    assert.equal(attempt.calls(), 1);
  });

  test('no retry starts when its backoff would end after the deadline', async () => {
    const attempt = attempts(unavailable());
    const almostSpent: Pick<Deadline, 'remainingMs'> = { remainingMs: () => 0 };
    await assert.rejects(retry(attempt.run, almostSpent), { code: ErrorCode.UPSTREAM_UNAVAILABLE });
    assert.equal(attempt.calls(), 1);
    assert.deepEqual(backoffs, []);
  });
});
