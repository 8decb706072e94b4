import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdminHandler, type EmulatorConfig, type EmulatorControls } from './admin.js';
import { createCallLog, type CallLogLimits } from './callLog.js';
import { createFaultQueue, type Fault, type FaultOptions } from './faults.js';
import { createLiveDemo, type LiveControls, type LiveDemoOptions } from './liveDemo.js';
import { createOperationHandler, type CallSettings } from './handler.js';
import { createEmulatorQuota, operationQuota, type EmulatorQuota, type Quota } from './quota.js';
import {
  generateParticipants,
  loadDemoSeed,
  parseSeed,
  parseWireEvents,
  parseWireParticipant,
  type Seed,
  type WireEvent,
  type WireParticipant,
} from './seed.js';
import { createStageStore } from './stageStore.js';
import { emulatedOperations, validateGetParticipantInput } from './validation.js';
import { knownError, sendError } from './wire.js';
import { createJoinHandler, createTokenRegistry } from './writes.js';

export type { EmulatorConfig } from './admin.js';
export type { CallLogLimits, EmulatorStats, OperationCounts } from './callLog.js';
export { faults, type Fault, type FaultOptions } from './faults.js';
export type { Quota } from './quota.js';
export { loadDemoSeed, type Seed, type WireEvent, type WireParticipant } from './seed.js';
export { emulatedOperations, type EmulatedOperation } from './validation.js';
export { townHall } from './activity.js';
export type { EventDeliveryState, EventDeliveryTarget } from './eventDelivery.js';
export type { LiveControls } from './liveDemo.js';
export type { ParticipantChange, RosterChange } from './rosterChanges.js';

export interface EmulatorOptions extends LiveDemoOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: a free port, read it back from `url`. */
  readonly port?: number;
  /** Default: the demo data in seed.json. */
  readonly seed?: Seed;
  /** Adds participants `p-0000` ... `p-<count-1>` to this stage and session. */
  readonly generatedParticipants?: { readonly stageArn: string; readonly sessionId: string; readonly count: number };
  /** At most this many calls of each operation admitted in any 1-second window; default null (no limit). */
  readonly quota?: Quota | null;
  /** Delay before each answer; default 0. */
  readonly latencyMs?: number;
  /** How much of the call history `stats()` keeps; default 100,000 arrivals and 100,000 keys. */
  readonly callLogLimits?: CallLogLimits;
}

export interface IvsEmulator extends EmulatorControls, LiveControls {
  /** Base URL to use as the SDK `endpoint`, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** Resolves once at least `count` GetParticipant calls have been decided since the last reset; rejects on close. */
  waitForCalls(count: number): Promise<void>;
  /** Adds or replaces a participant in a stage session (creating the stage and session if new). */
  addParticipant(stageArn: string, sessionId: string, participant: WireParticipant): void;
  /** Replaces a known participant's ListParticipantEvents history. */
  setEvents(stageArn: string, sessionId: string, participantId: string, events: WireEvent[]): void;
  /** Stops listening, ends every open or hanging connection; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts the IVS Real-Time emulator: GetParticipant, GetStage, GetStageSession, ListStageSessions,
 * ListParticipants, ListParticipantEvents, CreateParticipantToken and DisconnectParticipant over restJson1,
 * plus `/_emulator/` admin routes (`POST /_emulator/join` redeems a token, see writes.ts).
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<IvsEmulator> {
  if (process.env['NODE_ENV'] === 'production') {
    throw new Error('The IVS emulator is a dev/test tool and refuses to start when NODE_ENV=production');
  }
  const store = createStageStore(options.seed === undefined ? loadDemoSeed() : parseSeed(options.seed));
  const addParticipant = (stageArn: string, sessionId: string, participant: WireParticipant): void => {
    const key = validateGetParticipantInput({ stageArn, sessionId, participantId: participant.participantId });
    if (!key.ok) throw new Error(`Cannot add participant: ${key.message}`);
    store.putParticipant(stageArn, sessionId, parseWireParticipant(participant));
  };
  if (options.generatedParticipants !== undefined) {
    const { stageArn, sessionId, count } = options.generatedParticipants;
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError(`generatedParticipants.count must be a non-negative integer, got ${count}`);
    for (const participant of generateParticipants(count)) addParticipant(stageArn, sessionId, participant);
  }

  const callLog = createCallLog(options.callLogLimits);
  const faultQueue = createFaultQueue();
  const closing = new AbortController();
  let config: EmulatorConfig = { quota: null, latencyMs: 0 };
  // Like AWS, a quota per operation and region (the region of the stage a call names), made on first use.
  const quotasFor = (quota: Quota | null): CallSettings['quotaFor'] => {
    const quotas = new Map<string, EmulatorQuota>();
    return (operation, region) => {
      const key = `${region}:${operation}`;
      let found = quotas.get(key);
      if (found === undefined) quotas.set(key, (found = createEmulatorQuota(operationQuota(quota, operation))));
      return found;
    };
  };
  let settings: CallSettings = { quotaFor: quotasFor(null), latencyMs: 0 };

  const configure = (change: Partial<EmulatorConfig>): void => {
    const next: EmulatorConfig = {
      quota: change.quota === undefined ? config.quota : change.quota,
      latencyMs: change.latencyMs ?? config.latencyMs,
    };
    if (!Number.isFinite(next.latencyMs) || next.latencyMs < 0)
      throw new RangeError(`latencyMs must be a non-negative number, got ${next.latencyMs}`);
    // New quotas also start fresh windows, so a changed quota applies from now on.
    settings = { quotaFor: quotasFor(next.quota), latencyMs: next.latencyMs };
    config = next;
  };
  configure({ quota: options.quota ?? null, latencyMs: options.latencyMs ?? 0 });

  const controls: EmulatorControls = {
    stats: () => callLog.stats(),
    reset() {
      callLog.clear();
      faultQueue.clear();
      configure({});
    },
    injectFault: (fault: Fault, faultOptions?: FaultOptions) => faultQueue.inject(fault, faultOptions),
    clearFaults: () => faultQueue.clear(),
    configure,
    config: () => config,
  };
  const tokens = createTokenRegistry();
  const join = createJoinHandler(store, tokens);
  const handleOperation = createOperationHandler({
    store,
    tokens,
    callLog,
    faultQueue,
    settings: () => settings,
    closing: closing.signal,
  });
  const live = createLiveDemo(store, options);
  const admin = createAdminHandler(controls, live.adminRoutes);

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const operation = emulatedOperations.find((name) => url.pathname === `/${name}`);
    const handled =
      req.method === 'POST' && url.pathname === '/_emulator/join'
        ? join(req, res)
        : url.pathname.startsWith('/_emulator/')
          ? admin(req, res, url)
          : req.method === 'POST' && operation !== undefined
            ? handleOperation(operation, req, res)
            : Promise.resolve(sendError(res, knownError('UnknownOperationException')));
    handled.catch((error: unknown) => {
      // A bug or an aborted admin request; answer if the response is still ours to write.
      if (res.headersSent) return void res.destroy();
      sendError(res, knownError('InternalServerException', error instanceof Error ? error.message : String(error)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  let closed: Promise<void> | undefined;
  const closedError = (): Error => new Error('The IVS emulator closed');
  return {
    ...controls,
    ...live.controls,
    url: `http://${host}:${port}`,
    // After close nothing would ever settle a new wait, so it fails at once.
    waitForCalls: (count) => (closed === undefined ? callLog.waitForDecided(count) : Promise.reject(closedError())),
    addParticipant,
    setEvents: (stageArn, sessionId, participantId, events) =>
      store.putEvents(stageArn, sessionId, participantId, parseWireEvents(events)),
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        live.close();
        callLog.abandonWaits(closedError());
        server.close(() => resolve());
        // close() alone waits for keep-alive and hanging connections; end them now.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
