import { IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';

/** An AWS SDK client for the emulator at `url`: fixed credentials, one attempt (so every call is counted once). */
export function ivsClientFor(url: string): IVSRealTimeClient {
  return new IVSRealTimeClient({
    region: 'us-east-1',
    endpoint: url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}
