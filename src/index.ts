import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from './config.js';
import { installCrashHandlers, installShutdown } from './lifecycle.js';
import { createLogger, createTerminalLogger } from './logger.js';

async function main(): Promise<void> {
  const config = loadConfig();
  // A developer at a terminal reads the logs; anywhere else (production, pipes, log shippers) they stay JSON.
  const terminal = config.env === 'development' && process.stdout.isTTY === true;
  const logger = terminal ? await createTerminalLogger(config.logLevel) : createLogger({ level: config.logLevel });
  installCrashHandlers(logger, (code) => process.exit(code));

  // Tracing patches http before the AWS SDK and Fastify load, hence the dynamic imports below;
  // without OTEL_EXPORTER_OTLP_ENDPOINT no OpenTelemetry code is loaded at all.
  const tracing = config.tracing.otlpEndpoint
    ? await (await import('./observability/tracing.js')).startTracing(config.tracing.otlpEndpoint, logger)
    : null;
  const { demoQuery } = await import('./backend.js');
  const { createApp } = await import('./app.js');
  const { createMetricsApp } = await import('./http/metricsRoute.js');

  const { http: app, backend, metrics, readiness } = await createApp(config, logger, { tracing });
  const metricsApp =
    config.metrics.port === null ? null : await createMetricsApp({ metrics, token: config.metrics.token, logger });
  installShutdown({
    logger,
    readiness,
    timeoutMs: config.shutdown.timeoutMs,
    delayMs: config.shutdown.delayMs,
    async stop() {
      await app.close();
      await metricsApp?.close();
      await backend.close();
      await tracing?.shutdown();
    },
    exit: (code) => process.exit(code),
  });

  await app.listen({ host: config.host, port: config.port });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/graphql`;
  logger.info({ url, port, auth: config.auth.mode }, `GraphQL gateway ready at ${url}`);
  if (metricsApp && config.metrics.port !== null) {
    await metricsApp.listen({ host: config.host, port: config.metrics.port });
    const metricsPort = (metricsApp.server.address() as AddressInfo).port;
    logger.info({ metricsPort }, `metrics at http://${config.host}:${metricsPort}/metrics`);
  }
  if (backend.emulator && config.events) {
    // The demo's emulator posts its publish events to this gateway, as an API destination would.
    const { path, apiKey, apiKeyHeader } = config.events;
    backend.emulator.configureEventDelivery({
      enabled: true,
      url: url.replace(/\/graphql$/, path),
      apiKey,
      header: apiKeyHeader,
    });
  }
  if (config.ivsTarget.kind === 'embedded-emulator') {
    if (terminal) process.stdout.write(`\nOpen ${url} in a browser (Apollo Sandbox) and try:\n\n${demoQuery}\n\n`);
    else logger.info({ url, demoQuery }, `Open ${url} in a browser (Apollo Sandbox) and try the demoQuery`);
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('Gateway failed to start:', error);
  }
  process.exit(1);
});
