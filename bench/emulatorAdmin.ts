import type { WireParticipant } from '../src/emulator/seed.js';
import type { ParticipantKey } from '../src/model.js';

/** The emulator's counters as `GET /_emulator/stats` returns them (see src/emulator/callLog.ts). */
export interface EmulatorCounters {
  calls: number;
  served: number;
  throttled: number;
  faulted: number;
  rejected: number;
  byKey: Record<string, number>;
  /** Calls per IVS operation (the counters above are GetParticipant's). */
  byOperation: Record<string, { calls: number; served: number; throttled: number }>;
  windowMs: number;
  /** Most calls (any outcome) that arrived within one `windowMs` window. */
  maxCallsInAnyWindow: number;
}

/** Drives an emulator in another process through its `/_emulator/` admin routes. */
export function emulatorAdmin(baseUrl: string) {
  const call = async <T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${baseUrl}/_emulator/${path}`, {
      method,
      ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`emulator ${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    /** Quota in calls per second (null: unlimited) and answer latency. */
    configure: (config: { quotaTps: number | null; latencyMs: number }) =>
      call('POST', 'config', {
        quota: config.quotaTps === null ? null : { callsPerSecond: config.quotaTps },
        latencyMs: config.latencyMs,
      }),
    /** Zeroes the counters and starts a fresh quota window. */
    reset: () => call('POST', 'reset'),
    stats: () => call<EmulatorCounters>('GET', 'stats?windowMs=1000'),
    /** Turns a participant's `published` on or off, as if it happened on the stage now; returns it as stored. */
    setPublished: (key: ParticipantKey, published: boolean) =>
      call<{ participant: WireParticipant }>('PATCH', 'participants', { ...key, published }).then(
        (reply) => reply.participant,
      ),
  };
}

export type EmulatorAdmin = ReturnType<typeof emulatorAdmin>;
