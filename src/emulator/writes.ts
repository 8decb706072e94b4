import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { newParticipantId } from '../tokens/participantId.js';
import type { OperationReply } from './operations.js';
import { activeSessionOf, type StageStore } from './stageStore.js';
import { inputText, type ValidInput } from './validation.js';
import { knownError, readBody, sendJson } from './wire.js';

/** What the emulator remembers of a token it issued, so that `POST /_emulator/join` can redeem it. */
export interface IssuedToken {
  readonly stageArn: string;
  readonly participantId: string;
  readonly userId: string | undefined;
  readonly attributes: Readonly<Record<string, string>>;
  readonly capabilities: readonly string[];
  readonly expiresAt: number;
}

/** The tokens the emulator issued since it started (they are opaque strings, like IVS's). */
export interface TokenRegistry {
  issue(token: IssuedToken): string;
  find(token: string): IssuedToken | undefined;
}

export function createTokenRegistry(): TokenRegistry {
  const issued = new Map<string, IssuedToken>();
  return {
    issue(token) {
      const text = `emulator-token.${randomBytes(24).toString('base64url')}`;
      issued.set(text, token);
      return text;
    },
    find: (token) => issued.get(token),
  };
}

const answer = (body: unknown): OperationReply => ({ kind: 'answer', body });
const error = (...args: Parameters<typeof knownError>): OperationReply => ({ kind: 'error', ...knownError(...args) });

/** CreateParticipantToken and DisconnectParticipant, after quota, faults and validation (see handler.ts). */
export const writeOperations = {
  CreateParticipantToken(input: ValidInput, store: StageStore, tokens: TokenRegistry): OperationReply {
    const stageArn = inputText(input['stageArn']);
    if (store.stage(stageArn) === undefined) return error('ResourceNotFoundException', `Stage '${stageArn}' not found`);
    const duration = typeof input['duration'] === 'number' ? input['duration'] : 720;
    const capabilities = (input['capabilities'] as readonly string[] | undefined) ?? ['PUBLISH', 'SUBSCRIBE'];
    const attributes = (input['attributes'] as Readonly<Record<string, string>> | undefined) ?? {};
    const userId = input['userId'] === undefined ? undefined : inputText(input['userId']);
    const expirationTime = new Date(Date.now() + duration * 60_000);
    const participantId = newParticipantId();
    const token = tokens.issue({
      stageArn,
      participantId,
      userId,
      attributes,
      capabilities,
      expiresAt: expirationTime.getTime(),
    });
    return answer({
      participantToken: {
        participantId,
        token,
        userId,
        attributes,
        capabilities,
        duration,
        expirationTime: expirationTime.toISOString(),
      },
    });
  },

  DisconnectParticipant(input: ValidInput, store: StageStore): OperationReply {
    const stageArn = inputText(input['stageArn']);
    const participantId = inputText(input['participantId']);
    const stage = store.stage(stageArn);
    const session = stage === undefined ? undefined : activeSessionOf(stage);
    const participant = session?.participants.get(participantId);
    // As IVS: only a participant connected to the stage now can be disconnected.
    if (session === undefined || participant?.state !== 'CONNECTED') {
      return error('ResourceNotFoundException', `No connected participant '${participantId}' on stage '${stageArn}'`);
    }
    store.putParticipant(stageArn, session.sessionId, { ...participant, state: 'DISCONNECTED', published: false });
    return answer({});
  },
};

/**
 * `POST /_emulator/join {"token": "..."}`: what a client SDK does with a token. The token's participant
 * appears CONNECTED in the stage's active session (one is started if there is none).
 */
export function createJoinHandler(store: StageStore, tokens: TokenRegistry) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let token: unknown;
    try {
      token = (JSON.parse(await readBody(req)) as { token?: unknown }).token;
    } catch {
      return sendJson(res, 400, { error: 'Body must be JSON: {"token": "..."}' });
    }
    const issued = typeof token === 'string' ? tokens.find(token) : undefined;
    if (issued === undefined) return sendJson(res, 401, { error: 'Unknown token' });
    if (issued.expiresAt <= Date.now()) return sendJson(res, 401, { error: 'Expired token' });
    const stage = store.stage(issued.stageArn);
    if (stage === undefined) return sendJson(res, 404, { error: 'The stage no longer exists' });
    const sessionId = activeSessionOf(stage)?.sessionId ?? `st-${newParticipantId()}X`;
    const existing = store.participant(issued.stageArn, sessionId, issued.participantId);
    // A token joins once: a participant who left stays DISCONNECTED (IVS never reconnects a participant ID).
    if (existing === undefined) {
      store.putParticipant(issued.stageArn, sessionId, {
        participantId: issued.participantId,
        ...(issued.userId !== undefined && { userId: issued.userId }),
        state: 'CONNECTED',
        firstJoinTime: new Date().toISOString(),
        attributes: { ...issued.attributes },
        published: false,
      });
    }
    return sendJson(res, 200, { stageArn: issued.stageArn, sessionId, participantId: issued.participantId });
  };
}
