import { ErrorCode, LookupError } from './errors.js';
import type { ParticipantKey, StageSessionKey } from './model.js';

/** What a global ID names: a type and its key. */
export type NodeRef =
  | { readonly type: 'Stage'; readonly arn: string }
  | { readonly type: 'StageSession'; readonly key: StageSessionKey }
  | { readonly type: 'Participant'; readonly key: ParticipantKey };

/**
 * The opaque `id` of a Node: base64url of the JSON array [type, ...key]. Opaque to clients (they must not
 * parse it), but not secret: it holds nothing a client could not already read from the object.
 */
export function globalId(ref: NodeRef): string {
  const parts =
    ref.type === 'Stage'
      ? [ref.type, ref.arn]
      : ref.type === 'StageSession'
        ? [ref.type, ref.key.stageArn, ref.key.sessionId]
        : [ref.type, ref.key.stageArn, ref.key.sessionId, ref.key.participantId];
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** The type and key a global ID names (not yet validated against IVS's constraints), or BAD_USER_INPUT. */
export function parseGlobalId(id: string): NodeRef {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(id, 'base64url').toString('utf8'));
  } catch {
    parts = undefined;
  }
  if (Array.isArray(parts) && parts.every((part) => typeof part === 'string')) {
    const [type, ...key] = parts;
    if (type === 'Stage' && key.length === 1) return { type, arn: key[0] ?? '' };
    if (type === 'StageSession' && key.length === 2) {
      return { type, key: { stageArn: key[0] ?? '', sessionId: key[1] ?? '' } };
    }
    if (type === 'Participant' && key.length === 3) {
      return { type, key: { stageArn: key[0] ?? '', sessionId: key[1] ?? '', participantId: key[2] ?? '' } };
    }
  }
  throw new LookupError(ErrorCode.BAD_USER_INPUT, 'Not a global ID this gateway issued');
}
