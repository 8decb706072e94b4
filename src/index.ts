import { connectBackend, demoQuery } from './backend.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { createGateway } from './server.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  const backend = await connectBackend(config, logger);
  const app = await createGateway({ config, participantSource: backend.participantSource, logger });
  await app.listen({ host: config.host, port: config.port });
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}/graphql`;
  logger.info({ url }, `GraphQL gateway ready at ${url}`);
  if (config.backend.kind === 'embedded-emulator') {
    logger.info(`Open ${url} in a browser (Apollo Sandbox) and try:\n${demoQuery}`);
  }

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await app.close();
    await backend.close();
    process.exit(0);
  };
  process.once('SIGTERM', (signal) => void shutdown(signal));
  process.once('SIGINT', (signal) => void shutdown(signal));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('Gateway failed to start:', error);
  }
  process.exit(1);
});
