import type { Config } from './config.js';
import { startEmulator } from './emulator/server.js';
import { createIvsClient, type IvsClientOverrides } from './ivs/client.js';
import { createIvsParticipantSource, type ParticipantSource } from './ivs/participantSource.js';
import type { Logger } from './logger.js';

export interface Backend {
  participantSource: ParticipantSource;
  /** Stops what the backend started (sockets, the embedded emulator). */
  close(): Promise<void>;
}

/** A query that works against the emulator's demo data; printed at start and shown in the README. */
export const demoQuery = `{
  participant(
    stageArn: "arn:aws:ivs:us-east-1:123456789012:stage/DemoStage01"
    sessionId: "st-DemoSession01"
    participantId: "alice"
  ) { participantId userId state firstJoinTime attributes { key value } }
}`;

/**
 * Connects to IVS as configured: an explicit endpoint, real AWS, or the emulator started in-process.
 * `credentials` replaces the default AWS chain (tests use it to present fixed or failing credentials).
 */
export async function connectBackend(
  config: Config,
  logger: Logger,
  credentials?: IvsClientOverrides['credentials'],
): Promise<Backend> {
  if (config.backend.kind !== 'embedded-emulator') {
    const client = createIvsClient(config, credentials && { credentials });
    const endpoint = config.backend.kind === 'endpoint' ? config.backend.endpoint : 'AWS';
    logger.info({ region: config.backend.region, endpoint }, 'IVS backend configured');
    return { participantSource: createIvsParticipantSource(client), close: async () => client.destroy() };
  }

  const quota = config.emulator.quotaTps > 0 ? { callsPerSecond: config.emulator.quotaTps } : null;
  const emulator = await startEmulator({ quota });
  // The emulator does not check signatures; fixed credentials keep the SDK from searching for real ones.
  const client = createIvsClient(config, {
    endpoint: emulator.url,
    credentials: { accessKeyId: 'emulator', secretAccessKey: 'emulator' },
  });
  logger.warn(
    { emulator: emulator.url, quotaTps: config.emulator.quotaTps },
    'NO AWS BACKEND CONFIGURED: serving DEMO DATA from the built-in IVS emulator. Set AWS_REGION (real AWS) or IVS_ENDPOINT to change this.',
  );
  return {
    participantSource: createIvsParticipantSource(client),
    close: async () => {
      client.destroy();
      await emulator.close();
    },
  };
}
