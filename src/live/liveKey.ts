import type { ParticipantKey, RosterFilter, StageSessionKey } from '../model.js';
import { participantKeyText } from '../model.js';

/** A roster as a subscription watches it: every page of one session, with at most one filter. */
export type RosterWatchKey = StageSessionKey & { readonly filter?: RosterFilter | undefined };

/** One distinct watched thing: refreshed by one replica of the fleet, however many subscribe to it. */
export type LiveKey =
  | { readonly kind: 'participant'; readonly key: ParticipantKey }
  | { readonly kind: 'roster'; readonly key: RosterWatchKey };

/** The IVS operation that refreshes each kind of key; its quota pays for the refreshes. */
export type LiveOperation = 'GetParticipant' | 'ListParticipants';

export function operationOf(live: LiveKey): LiveOperation {
  return live.kind === 'participant' ? 'GetParticipant' : 'ListParticipants';
}

/** One string per watched key: the watcher's name locally and in Redis (lease, channel). */
export function liveKeyText(live: LiveKey): string {
  if (live.kind === 'participant') return `participant ${participantKeyText(live.key)}`;
  const { stageArn, sessionId, filter } = live.key;
  return `roster ${JSON.stringify([stageArn, sessionId, filter ?? null])}`;
}
