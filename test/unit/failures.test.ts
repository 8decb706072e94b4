import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AccessDeniedException,
  IVSRealTimeServiceException,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-ivs-realtime';
import { classifyIvsFailure } from '../../src/ivs/failures.js';

const metadata = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'req-123' });

// What the SDK raises for an error class it does not model (throttling, credential failures).
function unmodelled(name: string, httpStatusCode: number, message = 'UnknownError') {
  return new IVSRealTimeServiceException({ name, $fault: 'client', $metadata: metadata(httpStatusCode), message });
}

describe('classifyIvsFailure', () => {
  test('reads the IVS text from exceptionMessage when the SDK message is "UnknownError"', () => {
    const error = new ResourceNotFoundException({ $metadata: metadata(404), message: 'UnknownError' });
    Object.assign(error, { exceptionMessage: 'No participant alice' });
    const failure = classifyIvsFailure(error);
    assert.equal(failure.code, 'NOT_FOUND');
    assert.equal(failure.message, 'No participant alice');
    assert.deepEqual(failure.details.ivs, {
      errorType: 'ResourceNotFoundException',
      httpStatus: 404,
      requestId: 'req-123',
      retryable: false,
    });
    assert.equal(failure.cause, error);
  });

  test('without IVS text, the message names the error class and status', () => {
    const failure = classifyIvsFailure(new ValidationException({ $metadata: metadata(400), message: 'UnknownError' }));
    assert.equal(failure.code, 'BAD_USER_INPUT');
    assert.equal(failure.message, 'IVS call failed: ValidationException (HTTP 400)');
  });

  test('AccessDenied is FORBIDDEN and keeps IVS text for the operator log', () => {
    const error = new AccessDeniedException({ $metadata: metadata(403), message: 'UnknownError' });
    Object.assign(error, { exceptionMessage: 'User: arn:aws:sts::123456789012:assumed-role/gw is not authorized' });
    const failure = classifyIvsFailure(error);
    assert.equal(failure.code, 'FORBIDDEN');
    assert.match(failure.message, /assumed-role/);
  });

  for (const [name, status, code, retryable] of [
    ['ThrottlingException', 429, 'THROTTLED', true],
    ['ServiceQuotaExceededException', 402, 'THROTTLED', true],
    ['InternalServerException', 500, 'UPSTREAM_UNAVAILABLE', true],
    ['SomethingNew', 503, 'UPSTREAM_UNAVAILABLE', true],
    ['SomethingNew', 429, 'THROTTLED', true],
    ['UnrecognizedClientException', 403, 'UPSTREAM_AUTH_FAILED', false],
    ['ExpiredTokenException', 403, 'UPSTREAM_AUTH_FAILED', false],
    ['PendingVerification', 403, 'UPSTREAM_AUTH_FAILED', false],
    ['ConflictException', 409, 'INTERNAL_SERVER_ERROR', false],
  ] as const) {
    test(`${name} with HTTP ${status} is ${code}`, () => {
      const failure = classifyIvsFailure(unmodelled(name, status));
      assert.equal(failure.code, code);
      assert.equal(failure.details.ivs?.retryable, retryable);
    });
  }

  test('THROTTLED carries retryAfterSeconds', () => {
    assert.equal(classifyIvsFailure(unmodelled('ThrottlingException', 429)).details.retryAfterSeconds, 1);
  });

  test('a socket error is UPSTREAM_UNAVAILABLE even though the SDK names it TimeoutError', () => {
    const error = Object.assign(new Error('read ECONNRESET'), { name: 'TimeoutError', code: 'ECONNRESET' });
    assert.equal(classifyIvsFailure(error).code, 'UPSTREAM_UNAVAILABLE');
  });

  test('the SDK attempt timeout (TimeoutError with code ETIMEDOUT, as smithy throws it) is UPSTREAM_TIMEOUT', () => {
    const error = Object.assign(new Error('Connection timed out after 200 ms'), {
      name: 'TimeoutError',
      code: 'ETIMEDOUT',
    });
    assert.equal(classifyIvsFailure(error).code, 'UPSTREAM_TIMEOUT');
  });

  test('an attempt timeout or an aborted call is UPSTREAM_TIMEOUT', () => {
    assert.equal(
      classifyIvsFailure(Object.assign(new Error('timed out'), { name: 'TimeoutError' })).code,
      'UPSTREAM_TIMEOUT',
    );
    assert.equal(
      classifyIvsFailure(Object.assign(new Error('aborted'), { name: 'AbortError' })).code,
      'UPSTREAM_TIMEOUT',
    );
  });

  test('a credential provider failure is UPSTREAM_AUTH_FAILED', () => {
    const error = Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' });
    assert.equal(classifyIvsFailure(error).code, 'UPSTREAM_AUTH_FAILED');
  });

  test('anything unrecognised is INTERNAL_SERVER_ERROR', () => {
    assert.equal(classifyIvsFailure(new TypeError('x is undefined')).code, 'INTERNAL_SERVER_ERROR');
    assert.equal(classifyIvsFailure('a string').code, 'INTERNAL_SERVER_ERROR');
  });
});
