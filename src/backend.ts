import type { Config } from './config.js';
import type { IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';
import type { IvsEmulator } from './emulator/server.js';
import { createIvsClient, type IvsClientOverrides } from './ivs/client.js';
import { createIvsSources } from './ivs/operations/index.js';
import { createLocalEventIds, type SeenEventIds } from './live/seenEventIds.js';
import type { Logger } from './logger.js';
import { createLiveWatchers, type LiveWatchers } from './live/watchers.js';
import { createLocalWatchChannel } from './live/watchChannel.js';
import { createRedisWatchChannel } from './live/redisWatchChannel.js';
import { createRedisEventIds } from './live/redisSeenEventIds.js';
import { redactedUrl } from './redaction.js';
import { createFleet, type FleetObserver } from './upstream/fleet.js';
import { createUpstream, type UpstreamReads, type UpstreamWrites } from './upstream/index.js';
import type { ParticipantKey } from './model.js';
import { createModeration, type Moderation } from './tokens/moderation.js';
import { loadTokenSigner } from './tokens/tokenSigner.js';
import { noopUpstreamObservers, type UpstreamObservers } from './upstream/observer.js';

export interface Backend {
  /** Each IVS read operation behind the upstream protection layer: cache, flight, quota, retries, breaker. */
  reads: UpstreamReads;
  /** The subscriptions' watchers; `reads` above are theirs, so a query's answer counts as a refresh. */
  live: LiveWatchers;
  /** EventBridge event ids already processed: fleet-wide with REDIS_URL, this process's otherwise. */
  eventIds: SeenEventIds;
  /** The emulator started in-process when it is the backend (the demo), else undefined. */
  emulator: IvsEmulator | undefined;
  /** CreateParticipantToken and DisconnectParticipant behind their own quotas and breakers. */
  writes: UpstreamWrites;
  /** Minting and disconnecting, authorized and audited (src/tokens/). */
  moderation: Moderation;
  /** Drops every cached answer the participant's change may have made wrong, fleet-wide with Redis. */
  invalidateParticipant(key: ParticipantKey): Promise<void>;
  /** Every stage invalidation, here or on another replica: for caches outside the upstream layer. */
  onStageInvalidated: (listener: (stageArn: string) => void) => void;
  /** Stops what the backend started (queued lookups, sockets, the embedded emulator). */
  close(): Promise<void>;
}

export interface BackendOptions {
  /** Replaces the default AWS credential chain (tests use it to present fixed or failing credentials). */
  credentials?: IvsClientOverrides['credentials'];
  /** Hands each quota domain its metrics hooks; default: none. */
  observer?: UpstreamObservers;
  /** Receives the Redis-shared parts' state (with REDIS_URL); default: none. */
  fleetObserver?: FleetObserver;
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
 * Connects to IVS as configured (an explicit endpoint, real AWS, or the emulator started in-process)
 * and wraps it in the upstream layer, once per process.
 */
export async function connectBackend(config: Config, logger: Logger, options: BackendOptions = {}): Promise<Backend> {
  const { clients, emulator } = await connectIvs(config, logger, options.credentials);
  // Connects in the background: an unreachable Redis at start means degraded mode, not a failed start.
  const fleet = config.redis
    ? createFleet({ redis: config.redis, logger, observer: options.fleetObserver ?? { fleetState() {} } })
    : undefined;
  const sources = new Map([...clients].map(([region, client]) => [region, createIvsSources(client, logger)]));
  const upstream = createUpstream(config, sources, {
    logger,
    observer: options.observer ?? noopUpstreamObservers,
    ...(fleet && { fleet }),
  });
  const live = createLiveWatchers({
    reads: upstream.reads,
    channel: fleet
      ? createRedisWatchChannel({
          connection: fleet.connection,
          replicaId: fleet.replicaId,
          leaseTtlMs: config.live.leaseTtlMs,
        })
      : createLocalWatchChannel(),
    settings: config.live,
    quotaTpsByOperation: config.upstream.quotaTpsByOperation,
    invalidate: (key) => upstream.invalidation.invalidateParticipant(key),
    logger,
  });
  const moderation = createModeration({
    reads: live.reads,
    writes: upstream.writes,
    invalidation: upstream.invalidation,
    servedStages: config.ivsTarget,
    signer: config.tokenSigning === null ? null : await loadTokenSigner(config.tokenSigning),
    logger,
    onDisconnected: (key) => live.participantDisconnected(key),
  });
  const localEventIds = createLocalEventIds();
  return {
    reads: live.reads,
    writes: upstream.writes,
    live,
    moderation,
    invalidateParticipant: (key) => upstream.invalidation.invalidateParticipant(key),
    onStageInvalidated: (listener) => upstream.onStageInvalidated(listener),
    eventIds: fleet ? createRedisEventIds(fleet.connection, localEventIds) : localEventIds,
    emulator,
    close: async () => {
      await live.close();
      upstream.close();
      await fleet?.close();
      clients.forEach((client) => client.destroy());
      await emulator?.close();
    },
  };
}

async function connectIvs(
  config: Config,
  logger: Logger,
  credentials: IvsClientOverrides['credentials'],
): Promise<{ clients: Map<string, IVSRealTimeClient>; emulator?: IvsEmulator }> {
  const { ivsTarget } = config;
  const clientPerRegion = (overrides: IvsClientOverrides) =>
    new Map(ivsTarget.regions.map((region) => [region, createIvsClient(config, region, overrides)]));
  if (ivsTarget.kind !== 'embedded-emulator') {
    // An endpoint URL may carry credentials (a proxy's user and password, a signed query): never logged.
    const endpoints =
      ivsTarget.kind === 'endpoint'
        ? Object.fromEntries(Object.entries(ivsTarget.endpoints).map(([region, url]) => [region, redactedUrl(url)]))
        : 'AWS';
    logger.info({ regions: ivsTarget.regions, endpoints }, 'IVS backend configured');
    return { clients: clientPerRegion(credentials ? { credentials } : {}) };
  }
  // Loaded only here: a gateway in front of AWS never loads the emulator's code.
  const { startEmulator } = await import('./emulator/server.js');
  const quota = config.emulator.quotaTps > 0 ? { callsPerSecond: config.emulator.quotaTps } : null;
  const emulator = await startEmulator({ quota, activityIntervalMs: config.emulator.activityIntervalMs });
  logger.warn(
    { emulator: emulator.url, regions: ivsTarget.regions, quotaTps: config.emulator.quotaTps },
    'NO AWS BACKEND CONFIGURED: serving DEMO DATA from the built-in IVS emulator. Set AWS_REGION (real AWS) or IVS_ENDPOINT to change this.',
  );
  // One emulator answers for every demo region (it keeps each region's quota apart). It does not check
  // signatures; fixed credentials keep the SDK from searching for real ones.
  const clients = clientPerRegion({
    endpoint: emulator.url,
    credentials: { accessKeyId: 'emulator', secretAccessKey: 'emulator' },
  });
  return { clients, emulator };
}
