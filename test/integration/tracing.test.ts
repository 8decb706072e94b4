import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEmulator, type IvsEmulator } from '../../src/emulator/server.js';
import { ivsReadOperations } from '../../src/ivs/operations/index.js';
import { startGatewayProcess } from '../helpers/process.js';
import { demo } from '../helpers/stack.js';

interface OtlpSpan {
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
}
interface OtlpExport {
  resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
}

/** An OTLP/HTTP receiver on 127.0.0.1 that keeps every span it is sent. */
async function startReceiver() {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const payload = JSON.parse(body) as OtlpExport;
        for (const resource of payload.resourceSpans)
          for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// The OpenTelemetry packages that patch modules or export spans: loading any of them costs start-up time and memory.
const sdkModule = /@opentelemetry\/(sdk-|instrumentation|exporter-)/;

/** Starts the entry point with a fresh module log; `loaded()` lists every module URL it resolved so far. */
async function startGatewayRecordingModules(env: Record<string, string>) {
  const directory = await mkdtemp(join(tmpdir(), 'gateway-modules-'));
  const moduleLog = join(directory, 'modules.txt');
  const gateway = await startGatewayProcess({ ...env, MODULE_LOG: moduleLog }, ['./test/helpers/moduleLog.js']);
  return {
    ...gateway,
    loaded: async () => (await readFile(moduleLog, 'utf8')).split('\n'),
    async stop() {
      if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL');
      await gateway.exited;
      await rm(directory, { recursive: true, force: true });
    },
  };
}

const lookup = {
  query: `query Lookup { participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "alice") { userId } }`,
};

async function postLookup(url: string): Promise<Response> {
  return fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(lookup),
  });
}

describe('OpenTelemetry tracing', () => {
  let emulator: IvsEmulator;
  before(async () => {
    emulator = await startEmulator();
  });
  after(async () => emulator.close());
  const env = () => ({
    NODE_ENV: 'test',
    IVS_ENDPOINT: emulator.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AUTH_ALLOW_ANONYMOUS: 'true',
  });

  test('without OTEL_EXPORTER_OTLP_ENDPOINT, the gateway loads no OpenTelemetry SDK code', async () => {
    const gateway = await startGatewayRecordingModules(env());
    try {
      assert.equal((await postLookup(gateway.url)).status, 200);
      const loaded = await gateway.loaded();
      assert.ok(
        loaded.some((url) => url.includes('/src/server.ts')),
        'the module log records the gateway itself',
      );
      assert.deepEqual(
        loaded.filter((url) => sdkModule.test(url)),
        [],
      );
    } finally {
      await gateway.stop();
    }
  });

  test('with it, GraphQL operations, lookups and the IVS HTTP calls arrive as spans, flushed on shutdown', async () => {
    const receiver = await startReceiver();
    const gateway = await startGatewayRecordingModules({ ...env(), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    try {
      assert.equal((await postLookup(gateway.url)).status, 200);
      assert.ok(
        (await gateway.loaded()).some((url) => sdkModule.test(url)),
        'the SDK was loaded',
      );
      gateway.child.kill('SIGTERM');
      assert.equal(await gateway.exited, 0);

      const names = receiver.spans.map((span) => span.name);
      assert.ok(names.includes('graphql.query Lookup'), names.join(', '));
      assert.ok(names.includes('graphql.resolve participant'), names.join(', '));
      const emulatorPort = Number(new URL(emulator.url).port);
      const ivsCall = receiver.spans.find(
        (span) =>
          span.kind === 3 &&
          span.attributes.some((a) => a.key === 'server.port' && Number(a.value.intValue) === emulatorPort),
      );
      assert.ok(ivsCall, `no client span to the IVS endpoint among ${names.join(', ')}`);
      assert.ok(
        receiver.spans.some((span) => span.kind === 2),
        'a server span for the incoming HTTP request',
      );
    } finally {
      await gateway.stop();
      await receiver.close();
    }
  });

  test('every IVS operation a document reaches gets its span, and no span or log line holds a query string or a credential', async () => {
    const receiver = await startReceiver();
    const emulatorPort = new URL(emulator.url).port;
    const gateway = await startGatewayRecordingModules({
      ...env(),
      // Credentials in URLs, as a proxy or a collector behind basic auth would take them.
      IVS_ENDPOINT: `http://ivs-user:ivs-password-1@127.0.0.1:${emulatorPort}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url.replace('http://', 'http://otel-user:otel-password-1@'),
    });
    try {
      const everyRead = `query EveryRead {
        stage(arn: "${demo.stageArn}") { name sessions(first: 1) { nodes { sessionId } } }
        stageSession(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}") {
          participants(first: 1) { nodes { participantId attributes { key } session { sessionId } events(first: 1) { nodes { name } } } }
        }
      }`;
      const posted = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: everyRead }),
      });
      assert.equal(((await posted.json()) as { errors?: unknown }).errors, undefined);
      const byVariable = `query ById($id: String!) { participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: $id) { userId } }`;
      const search = new URLSearchParams({ query: byVariable, variables: JSON.stringify({ id: 'secret-person-42' }) });
      const got = await fetch(`${gateway.url}/graphql?${search.toString()}`, {
        headers: { 'apollo-require-preflight': 'true' },
      });
      assert.equal(got.status, 200);
      gateway.child.kill('SIGTERM');
      assert.equal(await gateway.exited, 0);

      const names = receiver.spans.map((span) => span.name);
      for (const operation of ivsReadOperations) assert.ok(names.includes(`ivs ${operation}`), names.join(', '));
      assert.ok(names.includes('graphql.resolve stage') && names.includes('graphql.resolve stageSession'));
      const getSpan = receiver.spans.find((span) => span.attributes.some((a) => a.key === 'url.query'));
      assert.ok(getSpan, 'the GET has a server span');
      const exported = JSON.stringify(receiver.spans);
      const logged = JSON.stringify(gateway.lines) + gateway.stderr();
      for (const secret of ['secret-person-42', 'participant(', 'ivs-password-1', 'otel-password-1', 'ivs-user']) {
        assert.ok(!exported.includes(secret), `a span holds ${secret}`);
        assert.ok(!logged.includes(secret), `the log holds ${secret}`);
      }
      assert.ok(logged.includes(`127.0.0.1:${emulatorPort}`), 'the IVS endpoint is logged, without its credentials');
    } finally {
      await gateway.stop();
      await receiver.close();
    }
  });
});
