import { IVSRealTimeClient, type IVSRealTimeClientConfig } from '@aws-sdk/client-ivs-realtime';
import type { Config } from '../config.js';

export interface IvsClientOverrides {
  /** Replaces the configured endpoint (the embedded emulator's URL). */
  endpoint?: string;
  /** Omit to use the default AWS credential provider chain (env, SSO, web identity, ECS, EC2...). */
  credentials?: IVSRealTimeClientConfig['credentials'];
}

/**
 * The only place that constructs an AWS client. Build one per process and region: the SDK memoises
 * credentials and keeps sockets alive per client, and a client signs for one region.
 */
export function createIvsClient(
  config: Pick<Config, 'ivsTarget' | 'ivs'>,
  region: string,
  overrides: IvsClientOverrides = {},
): IVSRealTimeClient {
  const endpoint =
    overrides.endpoint ?? (config.ivsTarget.kind === 'endpoint' ? config.ivsTarget.endpoints[region] : undefined);
  const agent = { keepAlive: true, maxSockets: config.ivs.maxSockets };
  return new IVSRealTimeClient({
    region,
    ...(endpoint && { endpoint }),
    ...(overrides.credentials && { credentials: overrides.credentials }),
    // One attempt: retries belong to the upstream layer, where each one waits for quota.
    maxAttempts: 1,
    requestHandler: {
      // Both bounds apply per attempt; the upstream layer's deadline bounds the whole lookup.
      connectionTimeout: config.ivs.attemptTimeoutMs,
      requestTimeout: config.ivs.attemptTimeoutMs,
      throwOnRequestTimeout: true,
      httpAgent: agent,
      httpsAgent: agent,
    },
  });
}
