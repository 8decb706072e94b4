import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, LookupError } from '../../src/errors.js';
import { encodeFlightNotice, parseFlightNotice } from '../../src/upstream/flight/flightNotice.js';

const failureOf = (message: string) => {
  const notice = parseFlightNotice(message);
  assert.ok(notice?.outcome === 'failed', message);
  return notice.error;
};

describe('flight notices', () => {
  test("a holder's failure reaches the waiters with its code and allow-listed details, in the gateway's words", () => {
    const holder = new LookupError(ErrorCode.THROTTLED, 'quota used up for tenant-7 (internal)', {
      retryAfterSeconds: 3,
      reason: 'GATEWAY_QUOTA',
      cause: new Error('internal'),
    });
    const relayed = failureOf(encodeFlightNotice({ outcome: 'failed', error: holder }));
    assert.equal(relayed.code, ErrorCode.THROTTLED);
    assert.equal(relayed.message, "IVS is throttling the gateway's calls; retry later");
    assert.deepEqual(relayed.details, { retryAfterSeconds: 3, reason: 'GATEWAY_QUOTA' });
  });

  test('details of the wrong type, range or shape are dropped', () => {
    const relayed = failureOf(
      JSON.stringify({
        outcome: 'failed',
        code: 'UPSTREAM_UNAVAILABLE',
        details: {
          retryAfterSeconds: 1e9,
          reason: 'CALL_US',
          ivs: { errorType: 'Internal Server Error!', httpStatus: 5000, requestId: 'ok-123', retryable: true },
          cause: 'x',
        },
      }),
    );
    assert.deepEqual(relayed.details, { ivs: { requestId: 'ok-123', retryable: true } });
  });

  test('an unknown code is a generic upstream failure; a code only requests raise is one too', () => {
    for (const code of ['PWNED', 'UNAUTHENTICATED', 42, undefined]) {
      assert.equal(failureOf(JSON.stringify({ outcome: 'failed', code })).code, ErrorCode.UPSTREAM_UNAVAILABLE);
    }
  });

  test('anything that is not a notice is ignored', () => {
    for (const message of ['', 'not json', 'null', '[]', '{"outcome":"maybe"}', '"settled"']) {
      assert.equal(parseFlightNotice(message), undefined, message);
    }
    assert.deepEqual(parseFlightNotice(encodeFlightNotice({ outcome: 'settled' })), { outcome: 'settled' });
  });
});
