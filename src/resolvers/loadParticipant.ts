import { authorizeParticipantKey } from '../auth/principal.js';
import type { GatewayContext } from '../context.js';
import type { ParticipantKey, ParticipantModel } from '../model.js';
import { validateParticipantKey } from '../validation.js';

/**
 * The one way a resolver reaches a participant: validate the key, check the caller's stage grants,
 * then load it through the request's DataLoader. Nothing invalid or forbidden costs an IVS call.
 * Async, so a bad key rejects for its own field or entity instead of throwing through a whole list.
 */
export async function loadParticipant(
  context: GatewayContext,
  input: Record<keyof ParticipantKey, unknown>,
): Promise<ParticipantModel> {
  return context.loaders.GetParticipant.load(authorizeParticipantKey(context.principal, validateParticipantKey(input)));
}
