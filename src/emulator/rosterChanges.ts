import { parseWireParticipant, type WireEvent, type WireParticipant } from './seed.js';
import type { StageStore } from './stageStore.js';
import { validateGetParticipantInput } from './validation.js';

/** What may change of a participant on a live stage. */
export interface ParticipantChange {
  readonly state?: 'CONNECTED' | 'DISCONNECTED';
  /**
   * Starts (true) or stops (false) publishing: IVS sends `Participant Published` / `Unpublished`. Starting
   * also sets `published`, which IVS defines as "ever published to the stage session": stopping leaves it true.
   */
  readonly publishing?: boolean;
  /** Sets the field as such, without an event (e.g. a participant that published before the test began). */
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

/** Called when a participant starts (`publishing` true) or stops publishing: IVS would send an event. */
export type PublishListener = (
  stageArn: string,
  sessionId: string,
  participant: WireParticipant,
  publishing: boolean,
) => void;

/**
 * Applies roster changes to the store, so the next GetParticipant, ListParticipants and ListParticipantEvents
 * answer them (JOINED, PUBLISH_STARTED, PUBLISH_STOPPED and LEFT at the time of the change), and reports
 * each change that says `publishing`.
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
    if (after === undefined) {
      store.removeParticipant(stageArn, sessionId, participantId);
      return after;
    }
    const history = change.kind === 'add' ? [] : (store.events(stageArn, sessionId, participantId) ?? []);
    store.putParticipant(stageArn, sessionId, after);
    store.putEvents(stageArn, sessionId, participantId, [...history, ...eventsOf(change, participantId, new Date())]);
    if (change.kind === 'change' && change.change.publishing !== undefined) {
      onPublishChange(stageArn, sessionId, after, change.change.publishing);
    }
    return after;
  };
}

/** What ListParticipantEvents gains from a change. */
function eventsOf(change: RosterChange, participantId: string, now: Date): WireEvent[] {
  const eventTime = now.toISOString();
  if (change.kind === 'add') return [{ name: 'JOINED', participantId, eventTime }];
  if (change.kind === 'remove') return [];
  const { publishing, state } = change.change;
  const events: WireEvent[] = [];
  if (publishing !== undefined)
    events.push({ name: publishing ? 'PUBLISH_STARTED' : 'PUBLISH_STOPPED', participantId, eventTime });
  if (state === 'DISCONNECTED') events.push({ name: 'LEFT', participantId, eventTime });
  return events;
}

// Checked like a seeded participant, so a change cannot serve data IVS would refuse (e.g. attributes over 1 KB).
function nextParticipant(before: WireParticipant | undefined, change: RosterChange): WireParticipant | undefined {
  if (change.kind === 'remove') return undefined;
  if (change.kind === 'add') return parse(change.participant);
  const { publishing, ...fields } = change.change;
  return parse({ ...before, ...fields, ...(publishing === true && { published: true }) });
}

function parse(candidate: unknown): WireParticipant {
  try {
    return parseWireParticipant(candidate);
  } catch (error) {
    throw new RosterChangeError('invalid', error instanceof Error ? error.message : String(error));
  }
}
