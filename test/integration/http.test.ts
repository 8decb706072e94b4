import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { corsPreflight, startStack, type Stack } from '../helpers/stack.js';

describe('HTTP surface in development, with introspection and the Sandbox turned on', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      env: { NODE_ENV: 'development', GRAPHQL_INTROSPECTION: 'true', GRAPHQL_LANDING_PAGE: 'true' },
    });
  });
  after(async () => stack.close());

  test('a browser opening /graphql gets the Apollo Sandbox landing page', async () => {
    const response = await fetch(`${stack.url}/graphql`, { headers: { accept: 'text/html' } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await response.text(), /sandbox/i);
  });

  test('introspection is on', async () => {
    const { body } = await stack.graphql<{ __type: { fields: { name: string }[] } }>(
      '{ __type(name: "Participant") { fields { name } } }',
    );
    assert.ok(body.data?.__type.fields.some((field) => field.name === 'firstJoinTime'));
  });

  test('a cross-origin browser app passes the CORS preflight', async () => {
    const response = await corsPreflight(stack.url);
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    assert.match(response.headers.get('access-control-allow-headers') ?? '', /content-type/i);
  });

  test('CSRF prevention refuses a simple GET request that a browser could send without a preflight', async () => {
    const response = await fetch(`${stack.url}/graphql?query=${encodeURIComponent('{ __typename }')}`);
    assert.equal(response.status, 400);
    const allowed = await fetch(`${stack.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    assert.equal(allowed.status, 200);
  });

  test('every response carries a request id, echoing the caller’s x-request-id', async () => {
    const { headers } = await stack.graphql('{ __typename }', undefined, { 'x-request-id': 'trace-abc-123' });
    assert.equal(headers.get('x-request-id'), 'trace-abc-123');
    const generated = await stack.graphql('{ __typename }');
    assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  test('/healthz and /readyz answer 200 JSON', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const response = await fetch(`${stack.url}${path}`);
      assert.equal(response.status, 200, path);
      assert.equal(typeof ((await response.json()) as { status: unknown }).status, 'string');
    }
  });

  test('a malformed URL or a bare OPTIONS never gets a framework text body', async () => {
    const badUrl = await fetch(`${stack.url}/%zz`);
    assert.equal(badUrl.status, 400);
    assert.deepEqual(await badUrl.json(), {
      errors: [{ message: 'Bad request', extensions: { code: 'BAD_REQUEST' } }],
    });
    const bareOptions = await fetch(`${stack.url}/graphql`, { method: 'OPTIONS' });
    assert.equal(bareOptions.status, 204);
  });
});
