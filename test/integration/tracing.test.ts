import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { startEmulator } from '../../src/emulator/server.js';
import { startGatewayProcess } from '../helpers/process.js';
import { demo, startStack } from '../helpers/stack.js';

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

describe('OpenTelemetry tracing', () => {
  test('without OTEL_EXPORTER_OTLP_ENDPOINT, the gateway loads no OpenTelemetry SDK code', async () => {
    const stack = await startStack();
    try {
      await stack.graphql('{ __typename }');
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      assert.deepEqual(
        loaded.filter((path) => /@opentelemetry\/(sdk-|instrumentation|exporter-)/.test(path)),
        [],
      );
    } finally {
      await stack.close();
    }
  });

  test('with it, GraphQL operations, lookups and the IVS HTTP calls arrive as spans, flushed on shutdown', async () => {
    const emulator = await startEmulator();
    const receiver = await startReceiver();
    try {
      const gateway = await startGatewayProcess({
        NODE_ENV: 'test',
        IVS_ENDPOINT: emulator.url,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      });
      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `query Lookup { participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "alice") { userId } }`,
        }),
      });
      assert.equal(response.status, 200);
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
      await receiver.close();
      await emulator.close();
    }
  });
});
