import { parseWireParticipant, type WireParticipant } from './seed.js';
import type { StageStore } from './stageStore.js';
import { validateGetParticipantInput } from './validation.js';

/** What may change of a participant on a live stage. */
export interface ParticipantChange {
  readonly state?: 'CONNECTED' | 'DISCONNECTED';
  readonly published?: boolean;
  /** Replaces the attributes as a whole. */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** One change to a session's roster, from the admin API or the demo activity. */
export type RosterChange =
  | { readonly kind: 'add'; readonly participant: WireParticipant }
  | { readonly kind: 'change'; readonly participantId: string; readonly change: ParticipantChange }
  | { readonly kind: 'remove'; readonly participantId: string };

/** A change that cannot apply: a bad key or participant (`invalid`), or no such participant (`unknown`). */
export class RosterChangeError extends Error {
  override name = 'RosterChangeError';
  constructor(
    readonly reason: 'invalid' | 'unknown',
    message: string,
  ) {
    super(message);
  }
}

/** Called when a change turns a participant's `published` on or off (IVS would send an event). */
export type PublishListener = (stageArn: string, sessionId: string, participant: WireParticipant) => void;

/**
 * Applies roster changes to the store, so the next GetParticipant and ListParticipants answer them, and
 * reports each publish change: an added participant that publishes, a change of `published`, and a
 * publishing participant removed (IVS unpublishes a participant that goes away).
 */
export function createRosterChanges(store: StageStore, onPublishChange: PublishListener) {
  return (stageArn: string, sessionId: string, change: RosterChange): WireParticipant | undefined => {
    const participantId = change.kind === 'add' ? change.participant.participantId : change.participantId;
    const key = validateGetParticipantInput({ stageArn, sessionId, participantId });
    if (!key.ok) throw new RosterChangeError('invalid', key.message);
    const before = store.participant(stageArn, sessionId, participantId);
    if (change.kind !== 'add' && before === undefined) {
      throw new RosterChangeError(
        'unknown',
        `No participant '${participantId}' in session '${sessionId}' of stage '${stageArn}'`,
      );
    }
    const after = nextParticipant(before, change);
    if (after === undefined) store.removeParticipant(stageArn, sessionId, participantId);
    else store.putParticipant(stageArn, sessionId, after);
    if ((before?.published === true) !== (after?.published === true)) {
      onPublishChange(stageArn, sessionId, after ?? { ...(before as WireParticipant), published: false });
    }
    return after;
  };
}

// Checked like a seeded participant, so a change cannot serve data IVS would refuse (e.g. attributes over 1 KB).
function nextParticipant(before: WireParticipant | undefined, change: RosterChange): WireParticipant | undefined {
  if (change.kind === 'remove') return undefined;
  const candidate = change.kind === 'add' ? change.participant : { ...before, ...change.change };
  try {
    return parseWireParticipant(candidate);
  } catch (error) {
    throw new RosterChangeError('invalid', error instanceof Error ? error.message : String(error));
  }
}
