import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { CallLog, CallOutcome } from './callLog.js';
import type { Fault, FaultQueue } from './faults.js';
import { operations, type OperationReply } from './operations.js';
import type { EmulatorQuota } from './quota.js';
import type { StageStore } from './stageStore.js';
import { operationInputs, validateInput, type EmulatedOperation } from './validation.js';
import { knownError, readBody, sendError, sendJson } from './wire.js';
import type { TokenRegistry } from './writes.js';

/** Settings the emulator may change between calls; read once per call. */
export interface CallSettings {
  /** One quota per operation and region: IVS gives each API its own budget in each region. */
  readonly quotaFor: (operation: EmulatedOperation, region: string) => EmulatorQuota;
  readonly latencyMs: number;
}

export interface OperationHandlerDeps {
  readonly store: StageStore;
  /** Tokens CreateParticipantToken issued, for `POST /_emulator/join`. */
  readonly tokens: TokenRegistry;
  readonly callLog: CallLog;
  readonly faultQueue: FaultQueue;
  readonly settings: () => CallSettings;
  /** Aborted when the emulator closes, so delayed answers stop waiting. */
  readonly closing: AbortSignal;
}

type Reply = Fault | OperationReply;

type ParsedBody = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

/**
 * Handles `POST /<operation>`. The answer is decided on arrival, in the order AWS applies:
 * the operation's quota, then injected faults (standing in for anything behind the front door),
 * then validation and the operation itself.
 */
export function createOperationHandler(deps: OperationHandlerDeps) {
  const { store, callLog, faultQueue } = deps;

  const decide = (operation: EmulatedOperation, body: ParsedBody, fields: KeyFields, quota: EmulatorQuota): Reply => {
    if (
      operation === 'GetParticipant' &&
      fields.stageArn !== undefined &&
      fields.sessionId !== undefined &&
      fields.participantId !== undefined
    ) {
      callLog.recordKey(fields.stageArn, fields.sessionId, fields.participantId);
    }
    const settle = (outcome: CallOutcome, reply: Reply): Reply => {
      callLog.recordOutcome(operation, outcome);
      return reply;
    };
    if (!quota.tryAdmit(performance.now()))
      return settle('throttled', { kind: 'error', ...knownError('ThrottlingException') });
    const fault = faultQueue.take(operation, fields.participantId);
    if (fault !== undefined) return settle('faulted', fault);
    if (!body.ok) return settle('rejected', { kind: 'error', ...knownError('ValidationException', body.message) });
    const validation = validateInput(operationInputs[operation], body.value);
    if (!validation.ok) {
      return settle('rejected', { kind: 'error', ...knownError('ValidationException', validation.message) });
    }
    const reply = operations[operation](validation.input, store, deps.tokens);
    return settle(reply.kind === 'answer' ? 'served' : 'rejected', reply);
  };

  return async (operation: EmulatedOperation, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    callLog.recordCall(operation, performance.now());
    let text: string;
    try {
      text = await readBody(req);
    } catch {
      return; // The client went away before finishing its request; there is no one to answer.
    }
    const { quotaFor, latencyMs } = deps.settings();
    const body = parseBody(text);
    const fields = body.ok ? stringFields(body.value) : {};
    // GetStage names its stage `arn`; every other operation `stageArn`.
    const region = (fields.stageArn ?? fields.arn)?.split(':')[3] ?? '';
    const reply = decide(operation, body, fields, quotaFor(operation, region));
    if (latencyMs > 0) {
      try {
        await delay(latencyMs, undefined, { signal: deps.closing });
      } catch {
        return; // The emulator is closing and has dropped the connection.
      }
    }
    switch (reply.kind) {
      case 'answer':
        return sendJson(res, 200, reply.body);
      case 'error':
        return sendError(res, reply);
      case 'hang':
        return; // Left open on purpose; close() ends it with closeAllConnections().
      case 'reset':
        req.socket.resetAndDestroy();
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

interface KeyFields {
  stageArn?: string;
  arn?: string;
  sessionId?: string;
  participantId?: string;
}

function stringFields(value: unknown): KeyFields {
  if (typeof value !== 'object' || value === null) return {};
  const record = value as Record<string, unknown>;
  const pick = (name: string): string | undefined => {
    const field = record[name];
    return typeof field === 'string' ? field : undefined;
  };
  return {
    stageArn: pick('stageArn'),
    arn: pick('arn'),
    sessionId: pick('sessionId'),
    participantId: pick('participantId'),
  };
}
