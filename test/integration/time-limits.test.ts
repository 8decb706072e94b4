import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { faults } from '../../src/emulator/server.js';
import { demo, startStack, type Stack } from '../helpers/stack.js';

// One time budget per HTTP request (UPSTREAM_REQUEST_DEADLINE_MS) caps every lookup's own deadline; sockets are
// bounded by the head timeout and a connection cap.

const chained = `{ stage(arn: "${demo.stageArn}") { name activeSession { sessionId } } }`;

interface TimedAnswer {
  elapsedMs: number;
  errors: { extensions?: Record<string, unknown> }[];
}

async function timed(stack: Stack, query: string): Promise<TimedAnswer> {
  const started = performance.now();
  const { body } = await stack.graphql(query);
  return { elapsedMs: performance.now() - started, errors: body.errors ?? [] };
}

describe('request deadline', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      env: {
        UPSTREAM_CACHE_MAX_ENTRIES: '0',
        UPSTREAM_REQUEST_DEADLINE_MS: '1500',
        // Each lookup alone could wait far longer: only the request's budget can end the request early.
        UPSTREAM_DEADLINE_MS: '20000',
        IVS_ATTEMPT_TIMEOUT_MS: '30000',
      },
    });
  });
  after(async () => stack.close());
  beforeEach(() => stack.emulator.reset());

  test('a chained query against an IVS that hangs ends by the request deadline: UPSTREAM_TIMEOUT, REQUEST_DEADLINE', async () => {
    stack.emulator.injectFault(faults.hang(), { operation: 'GetStageSession', times: Infinity });
    const { elapsedMs, errors } = await timed(stack, chained);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.equal(errors[0]?.extensions?.['code'], 'UPSTREAM_TIMEOUT');
    assert.equal(errors[0]?.extensions?.['reason'], 'REQUEST_DEADLINE');
    assert.ok(elapsedMs < 10_000, `answered after ${Math.round(elapsedMs)} ms, the lookup deadline is 20000 ms`);
  });

  test('what an earlier lookup of the chain spent is no longer there for the next one', async () => {
    // GetStage takes 1000 of the 1500 ms: the session lookup after it has about 500 ms, not its own 20 s.
    stack.emulator.configure({ latencyMs: 1000 });
    const { errors } = await timed(stack, chained).finally(() => stack.emulator.configure({ latencyMs: 0 }));
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.equal(errors[0]?.extensions?.['reason'], 'REQUEST_DEADLINE');
    assert.equal(stack.emulator.stats().byOperation.GetStage.served, 1);
  });

  test('within the deadline the chain answers', async () => {
    const { errors } = await timed(stack, chained);
    assert.deepEqual(errors, []);
  });
});

describe('request deadline of a lookup that joins another request’s call', () => {
  test('it stops at its own request’s deadline, not at the deadline of the call it joined', async () => {
    const stack = await startStack({
      env: {
        UPSTREAM_CACHE_MAX_ENTRIES: '0',
        UPSTREAM_REQUEST_DEADLINE_MS: '4000',
        UPSTREAM_DEADLINE_MS: '3500',
        IVS_ATTEMPT_TIMEOUT_MS: '30000',
      },
    });
    try {
      stack.emulator.configure({ latencyMs: 1500 });
      stack.emulator.injectFault(faults.hang(), { operation: 'GetStageSession', times: Infinity });
      // B spends 1500 ms on GetStage, then joins A's session lookup: B's request ends near 4000 ms, A's lookup
      // (started at about 1000 ms with its own 3500 ms) near 4500 ms.
      const b = timed(stack, chained);
      // A scenario offset, not synchronisation: A must start its lookup later than B started its request.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const a = timed(
        stack,
        `{ stageSession(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}") { sessionId } }`,
      );
      const [joined, leader] = await Promise.all([b, a]);
      assert.equal(stack.emulator.stats().byOperation.GetStageSession.calls, 1, 'B rode on A’s call');
      assert.equal(joined.errors[0]?.extensions?.['reason'], 'REQUEST_DEADLINE', JSON.stringify(joined.errors));
      assert.equal(leader.errors[0]?.extensions?.['reason'], 'DEADLINE', JSON.stringify(leader.errors));
    } finally {
      await stack.close();
    }
  });
});

/** Resolves once the server closes the socket (end or reset), with what it sent before. */
function closed(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(received));
  });
}

function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends one keep-alive request on the socket and resolves with the status line of its answer. */
function ask(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.once('data', (chunk: Buffer) => resolve(chunk.toString().split('\r\n')[0] ?? ''));
    socket.write('GET /healthz HTTP/1.1\r\nhost: gateway\r\nconnection: keep-alive\r\n\r\n');
  });
}

describe('sockets', () => {
  test('a half-sent request is closed by HTTP_HEADERS_TIMEOUT_MS with 408, long before HTTP_REQUEST_TIMEOUT_MS', async () => {
    const stack = await startStack({ env: { HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '60000' } });
    try {
      const socket = await open(stack.url);
      const started = performance.now();
      const ended = closed(socket);
      socket.write('POST /graphql HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\n');
      const received = await ended;
      const elapsedMs = performance.now() - started;
      assert.match(received, /^HTTP\/1\.1 408/);
      assert.match(received, /REQUEST_TIMEOUT/);
      assert.ok(elapsedMs < 20_000, `closed after ${Math.round(elapsedMs)} ms`);
    } finally {
      await stack.close();
    }
  });

  test('HTTP_MAX_CONNECTIONS: the connection over the cap is closed unanswered; a freed place takes a new one', async () => {
    const stack = await startStack({ env: { HTTP_MAX_CONNECTIONS: '2' } });
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 2; i += 1) {
        const socket = await open(stack.url);
        sockets.push(socket);
        assert.match(await ask(socket), /^HTTP\/1\.1 200/);
      }
      const extra = await open(stack.url);
      sockets.push(extra);
      const extraClosed = closed(extra);
      extra.write('GET /healthz HTTP/1.1\r\nhost: gateway\r\n\r\n');
      assert.equal(await extraClosed, '');

      const first = sockets[0];
      assert.ok(first);
      const firstClosed = closed(first);
      first.end();
      await firstClosed;
      // The server sees the close a moment after the client: retry until the freed place is taken.
      let status = '';
      for (let attempt = 0; attempt < 50 && !status.startsWith('HTTP/1.1 200'); attempt += 1) {
        const socket = await open(stack.url);
        sockets.push(socket);
        status = await Promise.race([ask(socket), closed(socket)]);
      }
      assert.match(status, /^HTTP\/1\.1 200/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await stack.close();
    }
  });
});
