import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { demoQuery } from '../../src/backend.js';
import { spawnNode, startGatewayProcess } from '../helpers/process.js';
import { within } from '../helpers/within.js';

// util-linux `script` gives the gateway a pseudo-terminal, as `npm start` in a developer's shell has.
const hasScript = spawnSync('script', ['--version']).status === 0;

describe('starting the gateway process on a fresh machine', () => {
  test('with no AWS configuration it serves demo data from the embedded emulator, says so, and prints a query that works', async () => {
    const gateway = await startGatewayProcess({ NODE_ENV: 'development' });
    try {
      const warning = await gateway.waitForLine((line) => String(line['msg']).includes('DEMO DATA'));
      assert.equal(warning['level'], 40);
      const hint = await gateway.waitForLine((line) => line['demoQuery'] === demoQuery);
      assert.equal(hint['url'], `${gateway.url}/graphql`);

      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: demoQuery }),
      });
      const body = (await response.json()) as { data?: { participant?: { userId?: string } }; errors?: unknown };
      assert.equal(body.errors, undefined);
      assert.equal(body.data?.participant?.userId, 'user-alice');
      // Not a terminal: JSON only, even in development, and no framework chatter.
      assert.deepEqual(gateway.otherLines, []);
      assert.ok(!gateway.lines.some((line) => String(line['msg']).includes('inline tracing')));
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

  test(
    'in development on a terminal, logs are human-readable and the banner prints the URL and the query as plain lines',
    { skip: !hasScript && 'no `script` on the PATH' },
    async () => {
      const command = `'${process.execPath}' --import tsx src/index.ts`;
      const child = spawn('script', ['-qfec', command, '/dev/null'], {
        cwd: new URL('../../', import.meta.url),
        env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'development', HOST: '127.0.0.1', PORT: '0' },
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      let output = '';
      const bannerShown = new Promise<void>((resolve) => {
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          // The whole query, not its first lines: the terminal may deliver the banner in several chunks.
          if (output.replace(/\r/g, '').includes(demoQuery)) resolve();
        });
      });
      try {
        await within(bannerShown, 60_000, `the banner (output so far: ${output})`);
        const lines = output.split(/\r?\n/);
        assert.ok(
          lines.some((line) => /^Open http:\/\/127\.0\.0\.1:\d+\/graphql in a browser/.test(line)),
          output,
        );
        for (const queryLine of demoQuery.split('\n'))
          assert.ok(lines.includes(queryLine), `${queryLine} in ${output}`);
        assert.ok(
          lines.some((line) => /INFO.*GraphQL gateway ready/.test(line)),
          output,
        );
        assert.ok(!lines.some((line) => line.startsWith('{"level"')), output);
      } finally {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
        await once(child, 'close');
      }
    },
  );
});
