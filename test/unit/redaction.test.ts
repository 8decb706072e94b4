import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redactedQuery, redactedUrl } from '../../src/redaction.js';

describe('redaction of URLs and query strings for logs and spans', () => {
  test('a URL loses its user, password and query values, and keeps where it points', () => {
    assert.equal(
      redactedUrl('https://proxy-user:hunter2@ivs-proxy.internal:8443/base?X-Amz-Signature=abc&token=xyz'),
      'https://ivs-proxy.internal:8443/base?X-Amz-Signature=[redacted]&token=[redacted]',
    );
    assert.equal(redactedUrl('http://127.0.0.1:4010'), 'http://127.0.0.1:4010/');
  });

  test('text that is no URL is replaced whole', () => {
    assert.equal(redactedUrl('proxy-user secret-password'), '[redacted]');
  });

  test('a GraphQL GET query string keeps its parameter names only', () => {
    const search = new URLSearchParams({ query: '{ participant { userId } }', variables: '{"id":"alice"}' });
    assert.equal(redactedQuery(`?${search.toString()}`), 'query=[redacted]&variables=[redacted]');
    assert.equal(redactedQuery(''), '');
  });
});
