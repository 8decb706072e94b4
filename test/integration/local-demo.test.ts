import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { spawnNode, startGatewayProcess } from '../helpers/process.js';
import { withStack } from '../helpers/stack.js';

const unknownField = '{ participan }';

async function refusal(env: Record<string, string>): Promise<string> {
  const gateway = spawnNode(['src/index.ts'], { PORT: '0', ...env });
  assert.equal(await gateway.exited, 1, gateway.stderr());
  return gateway.stderr();
}

describe('fail-closed defaults: only the local demo is open without being asked', () => {
  test('the local demo (loopback, built-in emulator) serves anonymous callers, introspection and the Sandbox', async () => {
    const gateway = await startGatewayProcess({ NODE_ENV: 'development' });
    try {
      const introspection = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __type(name: "Participant") { name } }' }),
      });
      assert.deepEqual(await introspection.json(), { data: { __type: { name: 'Participant' } } });
      const sandbox = await fetch(`${gateway.url}/graphql`, { headers: { accept: 'text/html' } });
      assert.match(sandbox.headers.get('content-type') ?? '', /text\/html/);
    } finally {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    }
  });

  test('listening beyond loopback, AUTH_MODE=none refuses to start unless AUTH_ALLOW_ANONYMOUS=true', async () => {
    const stderr = await refusal({ HOST: '0.0.0.0' });
    assert.match(
      stderr,
      /^Invalid configuration: AUTH_MODE: none is refused beyond the local demo.*AUTH_ALLOW_ANONYMOUS=true/m,
    );
  });

  test('in front of real AWS, even on loopback, AUTH_MODE=none refuses to start unless AUTH_ALLOW_ANONYMOUS=true', async () => {
    const stderr = await refusal({ HOST: '127.0.0.1', AWS_REGION: 'us-east-1' });
    assert.match(
      stderr,
      /^Invalid configuration: AUTH_MODE: none is refused beyond the local demo.*AUTH_ALLOW_ANONYMOUS=true/m,
    );
  });

  test('in production, /metrics without METRICS_TOKEN or METRICS_PORT refuses to start', async () => {
    const stderr = await refusal({ NODE_ENV: 'production', AWS_REGION: 'us-east-1', AUTH_ALLOW_ANONYMOUS: 'true' });
    assert.match(stderr, /^Invalid configuration: METRICS_TOKEN: required for \/metrics on the main port/m);
  });

  test('beyond the demo with anonymous access allowed: no introspection, no Sandbox, no stack traces, no hints', async () => {
    await withStack({ env: { NODE_ENV: 'development' } }, async (stack) => {
      const introspection = await stack.graphql('{ __schema { types { name } } }');
      assert.equal(introspection.body.errors?.[0]?.extensions?.['code'], 'GRAPHQL_VALIDATION_FAILED');
      const page = await fetch(`${stack.url}/graphql`, { headers: { accept: 'text/html' } });
      assert.doesNotMatch(page.headers.get('content-type') ?? '', /text\/html/);
      const { body } = await stack.graphql(unknownField);
      assert.equal(body.errors?.[0]?.extensions?.['stacktrace'], undefined);
      assert.doesNotMatch(body.errors?.[0]?.message ?? '', /Did you mean/);
    });
  });

  test('GRAPHQL_STACK_TRACES=true turns stack traces on explicitly', async () => {
    await withStack({ env: { NODE_ENV: 'development', GRAPHQL_STACK_TRACES: 'true' } }, async (stack) => {
      const { body } = await stack.graphql(unknownField);
      assert.ok(Array.isArray(body.errors?.[0]?.extensions?.['stacktrace']), JSON.stringify(body));
    });
  });
});
