import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { demoQuery } from '../../src/backend.js';
import { spawnNode, startGatewayProcess } from '../helpers/process.js';

describe('starting the gateway process on a fresh machine', () => {
  test('with no AWS configuration it serves demo data from the embedded emulator, says so, and prints a query that works', async () => {
    const gateway = await startGatewayProcess({ NODE_ENV: 'development' });
    try {
      const warning = await gateway.waitForLine((line) => String(line['msg']).includes('DEMO DATA'));
      assert.equal(warning['level'], 40);
      const hint = await gateway.waitForLine((line) => String(line['msg']).includes(demoQuery));
      assert.match(String(hint['msg']), new RegExp(`${gateway.url}/graphql`.replace(/[.]/g, '\\.')));

      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: demoQuery }),
      });
      const body = (await response.json()) as { data?: { participant?: { userId?: string } }; errors?: unknown };
      assert.equal(body.errors, undefined);
      assert.equal(body.data?.participant?.userId, 'user-alice');
    } finally {
      gateway.child.kill('SIGTERM');
      assert.equal(await gateway.exited, 0, JSON.stringify(gateway.lines.slice(-4)) + gateway.stderr());
    }
  });

  test('a bad setting stops the process with one line naming the variable', async () => {
    const gateway = spawnNode(['src/index.ts'], { PORT: 'not-a-port' });
    assert.equal(await gateway.exited, 1);
    const lines = gateway
      .stderr()
      .trim()
      .split('\n')
      .filter((line) => !line.includes('NodeVersionSupportWarning'));
    assert.equal(lines.length, 1, gateway.stderr());
    assert.match(lines[0] ?? '', /PORT/);
  });

  test('in production it refuses to fall back to the emulator', async () => {
    const gateway = spawnNode(['src/index.ts'], {
      NODE_ENV: 'production',
      AUTH_MODE: 'none',
      AUTH_ALLOW_ANONYMOUS: 'true',
      PORT: '0',
    });
    assert.equal(await gateway.exited, 1);
    assert.match(gateway.stderr(), /^Invalid configuration: AWS_REGION: .*emulator/m);
  });
});
