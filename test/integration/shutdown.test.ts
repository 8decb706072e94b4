import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { faults, startEmulator, type IvsEmulator } from '../../src/emulator/server.js';
import { spawnNode, startGatewayProcess } from '../helpers/process.js';
import { demo } from '../helpers/stack.js';
import { within } from '../helpers/within.js';

const query = JSON.stringify({
  query: `{ participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "alice") { userId } }`,
});

function postQuery(url: string): Promise<Response> {
  return fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: query });
}

/** Resolves with the error code of a fresh TCP connection attempt, or 'connected'. */
function tryConnect(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

describe('the gateway process: graceful shutdown', () => {
  let emulator: IvsEmulator;
  const env = () => ({
    NODE_ENV: 'test',
    IVS_ENDPOINT: emulator.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    UPSTREAM_CACHE_MAX_ENTRIES: '0',
    AUTH_ALLOW_ANONYMOUS: 'true',
  });
  before(async () => {
    emulator = await startEmulator();
  });
  after(async () => emulator.close());
  beforeEach(() => emulator.reset());

  test('SIGTERM with a request in flight: /readyz turns 503, new connections are refused, the request completes, exit 0', async () => {
    // The in-flight answer takes longer than the readiness delay, so every step happens while it waits.
    emulator.configure({ latencyMs: 2500 });
    const gateway = await startGatewayProcess({ ...env(), SHUTDOWN_DELAY_MS: '500', SHUTDOWN_TIMEOUT_MS: '10000' });
    const inFlight = postQuery(gateway.url);
    await within(emulator.waitForCalls(1), 30_000, 'the lookup reaching IVS');

    gateway.child.kill('SIGTERM');
    await gateway.waitForLine((line) => line['msg'] === 'shutting down: finishing in-flight requests');
    const readiness = await fetch(`${gateway.url}/readyz`, { headers: { connection: 'close' } });
    assert.equal(readiness.status, 503);
    assert.equal(((await readiness.json()) as { status: string }).status, 'shutting_down');

    await gateway.waitForLine((line) => String(line['msg']).startsWith('closing the listener'));
    // The line is logged just before the listening socket closes; a few attempts later it is gone,
    // while the in-flight request is still waiting for IVS.
    let settled = false;
    void inFlight.finally(() => (settled = true));
    let attempt = await tryConnect(gateway.url);
    for (let tries = 1; attempt === 'connected' && tries < 200; tries++) attempt = await tryConnect(gateway.url);
    // Refused by the closed listener, or reset when it was accepted in the instant the listener closed.
    assert.ok(attempt === 'ECONNREFUSED' || attempt === 'ECONNRESET', attempt);
    assert.equal(settled, false, 'refused while the request was still in flight');

    const response = await inFlight;
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { data: { participant: { userId: 'user-alice' } } });
    assert.equal(await gateway.exited, 0, JSON.stringify(gateway.lines.slice(-4)));
    assert.ok(gateway.lines.some((line) => line['msg'] === 'shutdown complete'));
  });

  test('SIGINT on an idle gateway exits 0 at once', async () => {
    const gateway = await startGatewayProcess(env());
    gateway.child.kill('SIGINT');
    assert.equal(await gateway.exited, 0);
  });

  test('past SHUTDOWN_TIMEOUT_MS with a request still in flight, the process exits 1', async () => {
    emulator.injectFault(faults.hang());
    const gateway = await startGatewayProcess({ ...env(), SHUTDOWN_TIMEOUT_MS: '500', UPSTREAM_DEADLINE_MS: '30000' });
    const inFlight = postQuery(gateway.url).catch((error: unknown) => error);
    await within(emulator.waitForCalls(1), 30_000, 'the lookup reaching IVS');
    gateway.child.kill('SIGTERM');
    assert.equal(await gateway.exited, 1);
    assert.ok(gateway.lines.some((line) => String(line['msg']).startsWith('shutdown deadline passed')));
    assert.ok((await inFlight) instanceof Error, 'the abandoned request fails rather than hanging');
  });
});

describe('the gateway process: refusing to run in a bad state', () => {
  test('NODE_ENV=production with AUTH_MODE=none exits 1 with one line that says why', async () => {
    const gateway = spawnNode(['src/index.ts'], { NODE_ENV: 'production', AWS_REGION: 'us-east-1' });
    assert.equal(await gateway.exited, 1);
    const stderr = gateway.stderr().trim();
    assert.equal(stderr.split('\n').length, 1, stderr);
    assert.match(stderr, /AUTH_MODE: none is refused with NODE_ENV=production.*AUTH_ALLOW_ANONYMOUS=true/);
  });

  test('a bad API key file stops the start with exit 1', async () => {
    const gateway = spawnNode(['src/index.ts'], { AUTH_MODE: 'api-key', AUTH_API_KEYS: '[{"name":"x"}]', PORT: '0' });
    assert.equal(await gateway.exited, 1);
    assert.match(gateway.stderr(), /^Invalid configuration: AUTH_API_KEYS: /);
  });

  test('an unhandled rejection is logged as fatal and the process exits 1', async () => {
    const script = [
      "import { installCrashHandlers } from './src/lifecycle.js';",
      "import { createLogger } from './src/logger.js';",
      "installCrashHandlers(createLogger({ level: 'info' }), (code) => process.exit(code));",
      "Promise.reject(new Error('boom'));",
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const child = spawnNode(['--input-type=module', '-e', script], {});
    assert.equal(await child.exited, 1);
    const fatal = child.lines.find((line) => line['level'] === 60);
    assert.equal(fatal?.['msg'], 'unhandled promise rejection: exiting');
  });
});
