import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GraphQLError } from 'graphql';
import { createErrorFormatter, ErrorCode, LookupError } from '../../src/errors.js';

function format(error: unknown, includeStackTrace = false) {
  const masked: unknown[] = [];
  const formatter = createErrorFormatter({ includeStackTrace, onMasked: (e) => masked.push(e) });
  const wrapped =
    error instanceof GraphQLError
      ? error
      : new GraphQLError('wrapped', { path: ['participant'], originalError: error as Error });
  const formatted = formatter(
    { ...wrapped.toJSON(), extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] } },
    wrapped,
  );
  return { formatted, masked };
}

describe('error formatter', () => {
  test('a LookupError becomes its code, IVS details and retry hint, at the original path', () => {
    const error = new LookupError(ErrorCode.THROTTLED, 'Rate exceeded', {
      ivs: { errorType: 'ThrottlingException', httpStatus: 429, requestId: 'r1', retryable: true },
      retryAfterSeconds: 1,
    });
    const { formatted, masked } = format(error);
    assert.equal(formatted.message, 'Rate exceeded');
    assert.deepEqual(formatted.path, ['participant']);
    assert.deepEqual(formatted.extensions, {
      code: 'THROTTLED',
      ivs: { errorType: 'ThrottlingException', httpStatus: 429, requestId: 'r1', retryable: true },
      retryAfterSeconds: 1,
    });
    assert.deepEqual(masked, []);
  });

  test('an unexpected error is masked as INTERNAL_SERVER_ERROR and reported to the operator', () => {
    const boom = new TypeError('Cannot read properties of undefined (reading "secret")');
    const { formatted, masked } = format(boom);
    assert.equal(formatted.message, 'Internal server error');
    assert.deepEqual(formatted.extensions, { code: 'INTERNAL_SERVER_ERROR' });
    assert.deepEqual(masked, [boom]);
  });

  test('stack traces appear only when asked for (development)', () => {
    const error = new LookupError(ErrorCode.NOT_FOUND, 'gone');
    assert.equal(format(error, false).formatted.extensions?.stacktrace, undefined);
    assert.deepEqual(format(new TypeError('x'), true).formatted.extensions?.stacktrace, ['at x']);
  });
});
