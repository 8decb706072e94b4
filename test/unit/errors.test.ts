import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode, LookupError } from '../../src/errors.js';
import { createErrorFormatter } from '../../src/graphql/errors.js';

// What Apollo hands the formatter for an error thrown by a resolver: its own formatting (code
// INTERNAL_SERVER_ERROR unless the error says otherwise, a stack trace) and the wrapped original.
function format(error: unknown, includeStackTrace = false) {
  const masked: unknown[] = [];
  const formatter = createErrorFormatter({ includeStackTrace, onMasked: (e) => masked.push(e) });
  const wrapped =
    error instanceof GraphQLError
      ? error
      : new GraphQLError('wrapped', { path: ['participant'], originalError: error as Error });
  const apolloFormatted: GraphQLFormattedError = {
    ...wrapped.toJSON(),
    extensions: { code: 'INTERNAL_SERVER_ERROR', ...wrapped.extensions, stacktrace: ['at x'] },
  };
  return { formatted: formatter(apolloFormatted, wrapped), masked };
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

  test("a credential failure shows the code and IVS's request id, never the error type or IVS's text", () => {
    const error = new LookupError(
      ErrorCode.UPSTREAM_AUTH_FAILED,
      'The security token included in the request is expired',
      {
        ivs: { errorType: 'ExpiredTokenException', httpStatus: 403, requestId: 'r2', retryable: false },
      },
    );
    const { formatted } = format(error);
    assert.equal(formatted.message, "IVS rejected the gateway's AWS credentials");
    assert.deepEqual(formatted.extensions, {
      code: 'UPSTREAM_AUTH_FAILED',
      ivs: { requestId: 'r2', retryable: false },
    });
  });

  test('a reason chooses the words, whatever message the raising layer wrote', () => {
    const error = new LookupError(ErrorCode.UPSTREAM_UNAVAILABLE, 'breaker open since 12:00:03', {
      reason: 'CIRCUIT_OPEN',
      retryAfterSeconds: 5,
    });
    const { formatted } = format(error);
    assert.match(formatted.message, /paused calls/);
    assert.deepEqual(formatted.extensions, {
      code: 'UPSTREAM_UNAVAILABLE',
      reason: 'CIRCUIT_OPEN',
      retryAfterSeconds: 5,
    });
  });

  test('extensions carry only the client details: never the cause, nor a field a raising layer attached', () => {
    const attached: LookupError['details'] = Object.assign(
      { retryAfterSeconds: 2, cause: new Error('socket hang up') },
      { stageArn: 'arn:aws:ivs:us-east-1:123456789012:stage/secret' },
    );
    const { formatted } = format(new LookupError(ErrorCode.THROTTLED, 'Rate exceeded', attached));
    assert.deepEqual(formatted.extensions, { code: 'THROTTLED', retryAfterSeconds: 2 });
  });

  test('an unexpected error is masked as INTERNAL_SERVER_ERROR and reported to the operator', () => {
    const boom = new TypeError('Cannot read properties of undefined (reading "secret")');
    const { formatted, masked } = format(boom);
    assert.equal(formatted.message, 'Internal server error');
    assert.deepEqual(formatted.extensions, { code: 'INTERNAL_SERVER_ERROR' });
    assert.deepEqual(masked, [boom]);
  });

  test('stack traces appear only when asked for (development)', () => {
    for (const error of [
      new LookupError(ErrorCode.NOT_FOUND, 'gone'),
      new GraphQLError('Cannot query field "x"', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
    ]) {
      assert.equal(format(error, false).formatted.extensions?.stacktrace, undefined, error.message);
      assert.deepEqual(format(error, true).formatted.extensions?.stacktrace, ['at x'], error.message);
    }
    assert.equal(format(new TypeError('x'), false).formatted.extensions?.stacktrace, undefined);
    assert.deepEqual(format(new TypeError('x'), true).formatted.extensions?.stacktrace, ['at x']);
  });
});
