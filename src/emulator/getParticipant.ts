import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { CallLog } from './callLog.js';
import type { Fault, FaultQueue } from './faults.js';
import { participantKey, type ParticipantStore } from './participantStore.js';
import type { QuotaLimiter } from './quota.js';
import type { WireParticipant } from './seed.js';
import { validateGetParticipantInput } from './validation.js';
import { knownError, readBody, sendError, sendParticipant } from './wire.js';

/** Settings the emulator may change between calls; read once per call. */
export interface CallSettings {
  readonly limiter: QuotaLimiter;
  readonly latencyMs: number;
}

export interface GetParticipantDeps {
  readonly store: ParticipantStore;
  readonly callLog: CallLog;
  readonly faultQueue: FaultQueue;
  readonly settings: () => CallSettings;
  /** Aborted when the emulator closes, so delayed answers stop waiting. */
  readonly closing: AbortSignal;
}

type Reply = Fault | { readonly kind: 'participant'; readonly participant: WireParticipant };

type ParsedBody = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

/**
 * Handles `POST /GetParticipant`. The answer is decided on arrival, in the order AWS applies:
 * quota, then injected faults (standing in for anything behind the front door), then validation and lookup.
 */
export function createGetParticipantHandler(deps: GetParticipantDeps) {
  const { store, callLog, faultQueue } = deps;

  const decide = (body: ParsedBody, limiter: QuotaLimiter): Reply => {
    const fields = body.ok ? stringFields(body.value) : {};
    if (fields.stageArn !== undefined && fields.sessionId !== undefined && fields.participantId !== undefined) {
      callLog.recordKey(participantKey(fields.stageArn, fields.sessionId, fields.participantId));
    }
    if (!limiter.tryAdmit(performance.now())) {
      callLog.recordOutcome('throttled');
      return { kind: 'error', ...knownError('ThrottlingException') };
    }
    const fault = faultQueue.take(fields.participantId);
    if (fault !== undefined) {
      callLog.recordOutcome('faulted');
      return fault;
    }
    if (!body.ok) {
      callLog.recordOutcome('rejected');
      return { kind: 'error', ...knownError('ValidationException', body.message) };
    }
    const validation = validateGetParticipantInput(body.value);
    if (!validation.ok) {
      callLog.recordOutcome('rejected');
      return { kind: 'error', ...knownError('ValidationException', validation.message) };
    }
    const { stageArn, sessionId, participantId } = validation.input;
    const participant = store.get(stageArn, sessionId, participantId);
    if (participant === undefined) {
      callLog.recordOutcome('rejected');
      const message = `Participant '${participantId}' not found in session '${sessionId}' of stage '${stageArn}'`;
      return { kind: 'error', ...knownError('ResourceNotFoundException', message) };
    }
    callLog.recordOutcome('served');
    return { kind: 'participant', participant };
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    callLog.recordCall(performance.now());
    let text: string;
    try {
      text = await readBody(req);
    } catch {
      return; // The client went away before finishing its request; there is no one to answer.
    }
    const { limiter, latencyMs } = deps.settings();
    const reply = decide(parseBody(text), limiter);
    if (latencyMs > 0) {
      try {
        await delay(latencyMs, undefined, { signal: deps.closing });
      } catch {
        return; // The emulator is closing and has dropped the connection.
      }
    }
    switch (reply.kind) {
      case 'participant':
        return sendParticipant(res, reply.participant);
      case 'error':
        return sendError(res, reply);
      case 'hang':
        return; // Left open on purpose; close() ends it with closeAllConnections().
      case 'reset':
        req.socket.resetAndDestroy();
        return;
    }
  };
}

function parseBody(text: string): ParsedBody {
  // restJson1 treats an empty body as an empty input structure.
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `Could not parse request body into json: ${reason}` };
  }
}

function stringFields(value: unknown): { stageArn?: string; sessionId?: string; participantId?: string } {
  if (typeof value !== 'object' || value === null) return {};
  const record = value as Record<string, unknown>;
  const pick = (name: string): string | undefined => {
    const field = record[name];
    return typeof field === 'string' ? field : undefined;
  };
  return { stageArn: pick('stageArn'), sessionId: pick('sessionId'), participantId: pick('participantId') };
}
