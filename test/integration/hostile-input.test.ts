import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { createLogSink, demo, startStack, type Stack } from '../helpers/stack.js';

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string; limit?: string } }[] };
}

// What must never appear in a reply: stack frames, file paths, framework internals.
const leaks = /\bat \S+ \(|node_modules|\/work\/|\/src\/|stacktrace|FST_ERR|SyntaxError: Unexpected/;

/** Writes a request line no HTTP parser accepts and returns everything the server sent back. */
function sendMalformedHttp(url: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1', () => socket.write('GARBAGE / HTTP/1.1\r\n\r\n'));
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
  });
}

const aliceQuery = `{ participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "alice") { userId } }`;

describe('hostile input against a production configuration', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      env: {
        NODE_ENV: 'production',
        AUTH_ALLOW_ANONYMOUS: 'true',
        METRICS_TOKEN: 'scrape-token-0123456789',
        UPSTREAM_CACHE_MAX_ENTRIES: '0',
      },
    });
    stack.emulator.reset();
  });
  after(async () => stack.close());
  afterEach(async () => {
    // Whatever came before, the gateway still answers, and IVS was never asked.
    assert.equal(stack.emulator.stats().calls, 0);
    const health = await fetch(`${stack.url}/healthz`);
    assert.equal(health.status, 200);
  });

  async function send(path: string, init: RequestInit = {}): Promise<Reply> {
    const response = await fetch(`${stack.url}${path}`, init);
    const text = await response.text();
    assert.doesNotMatch(text, leaks);
    let body: Reply['body'] = {};
    if (text) body = JSON.parse(text) as Reply['body'];
    return { status: response.status, headers: response.headers, text, body };
  }
  const post = (body: string, contentType = 'application/json') =>
    send('/graphql', { method: 'POST', headers: { 'content-type': contentType }, body });
  const code = (reply: Reply) => reply.body.errors?.[0]?.extensions?.code;

  test('malformed JSON: 400 BAD_REQUEST in GraphQL shape', async () => {
    const reply = await post('{"query": "{ __typename }"');
    assert.equal(reply.status, 400);
    assert.deepEqual(reply.body, {
      errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }],
    });
  });

  test('an empty JSON body: 400 BAD_REQUEST', async () => {
    const reply = await post('');
    assert.equal(reply.status, 400);
    assert.equal(code(reply), 'BAD_REQUEST');
  });

  for (const [name, body] of [
    ['a JSON string', '"{ __typename }"'],
    ['JSON null', 'null'],
    ['a query that is not a string', '{"query": 42}'],
    ['variables that are not an object', '{"query": "{ __typename }", "variables": "x"}'],
    ['an empty batch', '[]'],
  ] as const) {
    test(`${name}: 400 BAD_REQUEST`, async () => {
      const reply = await post(body);
      assert.equal(reply.status, 400);
      assert.equal(code(reply), 'BAD_REQUEST');
    });
  }

  test('a form-encoded body: 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const reply = await post('query=%7B__typename%7D', 'application/x-www-form-urlencoded');
    assert.equal(reply.status, 415);
    assert.equal(code(reply), 'UNSUPPORTED_MEDIA_TYPE');
  });

  test('a text/plain body (what a cross-site form can send without a preflight): 400, blocked as CSRF', async () => {
    const reply = await post(JSON.stringify({ query: aliceQuery }), 'text/plain');
    assert.equal(reply.status, 400);
    assert.equal(code(reply), 'BAD_REQUEST');
  });

  test('a GET without a CSRF preflight header: 400 BAD_REQUEST', async () => {
    const reply = await send(`/graphql?query=${encodeURIComponent(aliceQuery)}`);
    assert.equal(reply.status, 400);
    assert.equal(code(reply), 'BAD_REQUEST');
  });

  test('a mutation over GET: refused with a 4xx and a stable code', async () => {
    const disconnect = `mutation { disconnectParticipant(input: { stageArn: "${demo.stageArn}", participantId: "alice" }) { disconnected } }`;
    const reply = await send(`/graphql?query=${encodeURIComponent(disconnect)}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    // A GET must be safe to repeat and to cache: Apollo refuses the operation type before anything runs.
    assert.equal(reply.status, 405);
    assert.equal(code(reply), 'BAD_REQUEST');
    assert.match(reply.body.errors?.[0]?.message ?? '', /GET requests only support query operations/);
    assert.equal(stack.emulator.stats().byOperation.DisconnectParticipant.calls, 0);
  });

  test('a huge string argument within the body limit: BAD_USER_INPUT that does not echo it', async () => {
    const huge = 'x'.repeat(50_000);
    const reply = await post(
      JSON.stringify({
        query: 'query($p: String!) { participant(stageArn: "s", sessionId: "t", participantId: $p) { userId } }',
        variables: { p: huge },
      }),
    );
    assert.equal(reply.status, 200);
    assert.equal(code(reply), 'BAD_USER_INPUT');
    assert.ok(reply.text.length < 2000, `reply is ${reply.text.length} bytes`);
  });

  test('a body over the limit: 413 PAYLOAD_TOO_LARGE', async () => {
    const reply = await post(JSON.stringify({ query: aliceQuery, variables: { pad: 'x'.repeat(200_000) } }));
    assert.equal(reply.status, 413);
    assert.equal(code(reply), 'PAYLOAD_TOO_LARGE');
  });

  test('deeply nested selections: refused by the token limit before the parser recurses', async () => {
    const reply = await post(JSON.stringify({ query: `${'{ a '.repeat(5000)}${'}'.repeat(5000)}` }));
    assert.equal(reply.status, 400);
    assert.equal(code(reply), 'GRAPHQL_PARSE_FAILED');
  });

  test('deeply nested variables: 400 BAD_USER_INPUT', async () => {
    const nested = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const reply = await post(
      `{"query": "query($p: String!) { participant(stageArn: \\"s\\", sessionId: \\"t\\", participantId: $p) { userId } }", "variables": {"p": ${nested}}}`,
    );
    assert.equal(reply.status, 400);
    assert.equal(code(reply), 'BAD_USER_INPUT');
  });

  test('more distinct participants than the budget (fewer than the alias limit): QUERY_TOO_COMPLEX (participants) before any lookup', async () => {
    // 60 > LIMIT_PARTICIPANTS_PER_REQUEST (50), < LIMIT_ALIASES (100), well inside LIMIT_TOKENS: only the budget can refuse it.
    const fields = Array.from(
      { length: 60 },
      (_, i) =>
        `a${i}: participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "p${i}") { userId }`,
    );
    const reply = await post(JSON.stringify({ query: `{ ${fields.join(' ')} }` }));
    assert.equal(reply.status, 400);
    assert.equal(code(reply), 'QUERY_TOO_COMPLEX');
    assert.equal(reply.body.errors?.[0]?.extensions?.limit, 'participants');
  });

  test('an alias bomb on one participant within the token limit: QUERY_TOO_COMPLEX (aliases)', async () => {
    const fields = Array.from(
      { length: 150 },
      (_, i) => `a${i}: participant(stageArn: "s", sessionId: "t", participantId: "u") { userId }`,
    );
    const reply = await post(JSON.stringify({ query: `{ ${fields.join(' ')} }` }));
    assert.equal(reply.status, 400);
    assert.equal(code(reply), 'QUERY_TOO_COMPLEX');
    assert.equal(reply.body.errors?.[0]?.extensions?.limit, 'aliases');
  });

  test('variables of the wrong type: 400 BAD_USER_INPUT', async () => {
    const reply = await post(
      JSON.stringify({
        query: 'query($p: String!) { participant(stageArn: "s", sessionId: "t", participantId: $p) { userId } }',
        variables: { p: { nested: true } },
      }),
    );
    assert.equal(reply.status, 400);
    assert.equal(code(reply), 'BAD_USER_INPUT');
  });

  test('an unknown operation name: 400 OPERATION_RESOLUTION_FAILURE', async () => {
    const reply = await post(JSON.stringify({ query: 'query A { __typename }', operationName: 'B' }));
    assert.equal(reply.status, 400);
    assert.equal(code(reply), 'OPERATION_RESOLUTION_FAILURE');
  });

  test('a misspelt field: GRAPHQL_VALIDATION_FAILED without "Did you mean" hints that reveal the schema', async () => {
    const reply = await post(JSON.stringify({ query: '{ participan { userId } }' }));
    assert.equal(reply.status, 400);
    assert.equal(code(reply), 'GRAPHQL_VALIDATION_FAILED');
    assert.doesNotMatch(reply.text, /Did you mean/);
  });

  test('introspection is off in production, but _service { sdl } answers for composition', async () => {
    const introspection = await post(JSON.stringify({ query: '{ __schema { types { name } } }' }));
    assert.equal(introspection.status, 400);
    assert.equal(code(introspection), 'GRAPHQL_VALIDATION_FAILED');
    const service = await post(JSON.stringify({ query: '{ _service { sdl } }' }));
    assert.equal(service.status, 200);
    assert.match(JSON.stringify(service.body.data), /type Participant/);
  });

  test('no landing page in production: a browser GET gets JSON, not HTML', async () => {
    const reply = await send('/graphql', { headers: { accept: 'text/html' } });
    assert.equal(reply.status, 400);
    assert.doesNotMatch(reply.headers.get('content-type') ?? '', /html/);
  });

  test('an unknown route or method: 404 ROUTE_NOT_FOUND in GraphQL shape', async () => {
    for (const [path, method] of [
      ['/admin', 'GET'],
      ['/graphql', 'PUT'],
      ['/../../etc/passwd', 'GET'],
    ] as const) {
      const reply = await send(path, { method });
      assert.equal(reply.status, 404, `${method} ${path}`);
      assert.equal(code(reply), 'ROUTE_NOT_FOUND');
    }
  });

  test('an x-request-id that is too long or has odd characters is replaced, a plain one is kept', async () => {
    for (const bad of ['x'.repeat(300), 'a b', '"quoted"', '<script>']) {
      const reply = await send('/healthz', { headers: { 'x-request-id': bad } });
      assert.match(reply.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, bad);
    }
    const kept = await send('/healthz', { headers: { 'x-request-id': 'trace-01J9Z.abc:1' } });
    assert.equal(kept.headers.get('x-request-id'), 'trace-01J9Z.abc:1');
  });

  test('malformed HTTP on the socket: 400 with a GraphQL-shaped body, connection closed', async () => {
    const raw = await sendMalformedHttp(stack.url);
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.match(raw, /"code":"BAD_REQUEST"/);
  });

  test('after all of that, a normal query still works', async () => {
    const reply = await post(JSON.stringify({ query: aliceQuery }));
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.data, { participant: { userId: 'user-alice' } });
    stack.emulator.reset();
  });
});

describe('requests refused before routing still leave a trace', () => {
  let stack: Stack;
  let lines: Record<string, unknown>[];
  before(async () => {
    const sink = createLogSink();
    lines = sink.lines;
    stack = await startStack({ env: { LOG_LEVEL: 'info' }, logDestination: sink.destination });
  });
  after(async () => stack.close());

  async function rejectedCount(method: string): Promise<number> {
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    const sample = `gateway_http_request_duration_seconds_count{method="${method}",route="unmatched",status_code="400"}`;
    const line = metrics.split('\n').find((candidate) => candidate.startsWith(sample));
    return line ? Number(line.slice(sample.length)) : 0;
  }

  test('a malformed URL gets a request id, one log line under it, and a metric', async () => {
    const before = await rejectedCount('GET');
    const response = await fetch(`${stack.url}/%zz`);
    assert.equal(response.status, 400);
    const requestId = response.headers.get('x-request-id');
    assert.match(requestId ?? '', /^[0-9a-f-]{36}$/);
    const logged = lines.filter((line) => line['reqId'] === requestId);
    assert.equal(logged.length, 1);
    assert.equal(logged[0]?.['status'], 400);
    assert.deepEqual(logged[0]?.['errorCodes'], ['BAD_REQUEST']);
    assert.equal(await rejectedCount('GET'), before + 1);
  });

  test('malformed HTTP on the raw socket gets a request id, one log line under it, and a metric', async () => {
    const before = await rejectedCount('unknown');
    const raw = await sendMalformedHttp(stack.url);
    assert.match(raw, /^HTTP\/1\.1 400 /);
    const requestId = /\r\nx-request-id: ([0-9a-f-]{36})\r\n/.exec(raw)?.[1];
    assert.ok(requestId, raw);
    const logged = lines.filter((line) => line['reqId'] === requestId);
    assert.equal(logged.length, 1);
    assert.equal(logged[0]?.['rejectedBy'], 'HPE_INVALID_METHOD');
    assert.equal(await rejectedCount('unknown'), before + 1);
  });
});
