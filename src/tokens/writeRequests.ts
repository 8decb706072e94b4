import type { CreateParticipantTokenInput, DisconnectParticipantInput } from '../__generated__/resolvers-types.js';
import { authorizeStageArn, type Capability, type Principal } from '../auth/principal.js';
import { ErrorCode, LookupError } from '../errors.js';
import { writeConstraints } from '../ivs/constraints.js';
import type { DisconnectRequest, MintRequest } from '../ivs/operations/writes.js';
import { validateStageArn, type ServedStages } from '../validation.js';

/** `extensions.reason` of each write refusal; the README's error table lists them. */
type WriteRefusal = 'MINT_NOT_ALLOWED' | 'CAPABILITY_NOT_ALLOWED' | 'USER_ID_NOT_ALLOWED' | 'DISCONNECT_NOT_ALLOWED';

const participantIdPattern = new RegExp(writeConstraints.participantId.pattern);
const defaultDurationMinutes = 720;

const badInput = (message: string) => new LookupError(ErrorCode.BAD_USER_INPUT, message);
// A refusal's client words come from the table in src/graphql/errors.ts, by reason; `message` is the log's.
const forbidden = (reason: WriteRefusal, message: string) => new LookupError(ErrorCode.FORBIDDEN, message, { reason });

/**
 * The CreateParticipantToken request a caller may make, or the refusal, before any IVS call: the right to
 * mint, the input within IVS's constraints, the stage granted, only capabilities the caller holds, and for a
 * caller bound to a user ID (a JWT's `sub`) no other user ID.
 */
export function authorizeMint(
  principal: Principal,
  input: CreateParticipantTokenInput,
  served: ServedStages,
): MintRequest {
  const { rights } = principal;
  if (rights.mint.length === 0) {
    throw forbidden('MINT_NOT_ALLOWED', 'the caller may not mint participant tokens');
  }
  const stageArn = validateStageArn(input.stageArn, served, 'stageArn');
  const attributes = validAttributes(input.attributes ?? []);
  const durationMinutes = input.durationMinutes ?? defaultDurationMinutes;
  const { min, max } = writeConstraints.durationMinutes;
  if (!Number.isInteger(durationMinutes) || durationMinutes < min || durationMinutes > max) {
    throw badInput(`durationMinutes must be an integer from ${min} to ${max}`);
  }
  if (input.userId != null && input.userId.length > writeConstraints.userId.max) {
    throw badInput(`userId must be at most ${writeConstraints.userId.max} characters`);
  }
  if (input.capabilities?.length === 0) throw badInput('capabilities must name at least one capability');
  authorizeStageArn(principal, stageArn);
  const asked = input.capabilities ?? rights.mint;
  const refused = asked.filter((capability) => !rights.mint.includes(capability));
  if (refused.length > 0) {
    throw forbidden('CAPABILITY_NOT_ALLOWED', `the caller may not grant ${refused.join(', ')}`);
  }
  if (rights.fixedUserId !== undefined && input.userId != null && input.userId !== rights.fixedUserId) {
    throw forbidden('USER_ID_NOT_ALLOWED', 'the caller may mint tokens only for its own user ID');
  }
  return {
    stageArn,
    userId: rights.fixedUserId ?? input.userId ?? undefined,
    attributes,
    // A fixed order, so two requests for the same rights look the same in logs and tokens.
    capabilities: (['PUBLISH', 'SUBSCRIBE'] as const).filter((capability: Capability) => asked.includes(capability)),
    durationMinutes,
  };
}

/** The DisconnectParticipant request a caller may make, or the refusal, before any IVS call. */
export function authorizeDisconnect(
  principal: Principal,
  input: DisconnectParticipantInput,
  served: ServedStages,
): DisconnectRequest {
  if (!principal.rights.disconnect) {
    throw forbidden('DISCONNECT_NOT_ALLOWED', 'the caller may not disconnect participants');
  }
  const stageArn = validateStageArn(input.stageArn, served, 'stageArn');
  const { participantId, reason } = input;
  const { max } = writeConstraints.participantId;
  if (participantId.length > max || !participantIdPattern.test(participantId)) {
    throw badInput(`participantId must be 1 to ${max} letters, digits or hyphens`);
  }
  if (reason != null && reason.length > writeConstraints.reason.max) {
    throw badInput(`reason must be at most ${writeConstraints.reason.max} characters`);
  }
  authorizeStageArn(principal, stageArn);
  return { stageArn, participantId, reason: reason ?? undefined };
}

// IVS's rule: keys and values together at most 1 KB. A key given twice would silently lose a value.
function validAttributes(list: readonly { key: string; value: string }[]): Record<string, string> {
  // A Map, then fromEntries: a key such as "__proto__" becomes an ordinary property.
  const attributes = new Map<string, string>();
  let bytes = 0;
  for (const { key, value } of list) {
    if (key === '') throw badInput('attribute keys must not be empty');
    if (attributes.has(key)) throw badInput(`attribute key "${key.slice(0, 64)}" is given twice`);
    attributes.set(key, value);
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (bytes > writeConstraints.attributesMaxBytes) {
    throw badInput(
      `attributes hold ${bytes} bytes; IVS allows at most ${writeConstraints.attributesMaxBytes} in total`,
    );
  }
  return Object.fromEntries(attributes);
}
