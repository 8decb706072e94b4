import type { Seed, WireParticipant } from './seed.js';

/**
 * One string per (stage, session, participant); used for the store and for `stats().byKey`.
 * Unambiguous for valid input: neither sessionId nor participantId may contain '/'.
 */
export function participantKey(stageArn: string, sessionId: string, participantId: string): string {
  return `${stageArn}/${sessionId}/${participantId}`;
}

export interface ParticipantStore {
  get(stageArn: string, sessionId: string, participantId: string): WireParticipant | undefined;
  /** Adds or replaces a participant. */
  put(stageArn: string, sessionId: string, participant: WireParticipant): void;
}

/** In-memory participant directory, filled from a seed. */
export function createParticipantStore(seed: Seed): ParticipantStore {
  const participants = new Map<string, WireParticipant>();
  const put = (stageArn: string, sessionId: string, participant: WireParticipant): void => {
    participants.set(participantKey(stageArn, sessionId, participant.participantId), participant);
  };
  for (const stage of seed.stages) {
    for (const session of stage.sessions) {
      for (const participant of session.participants) put(stage.stageArn, session.sessionId, participant);
    }
  }
  return {
    get: (stageArn, sessionId, participantId) => participants.get(participantKey(stageArn, sessionId, participantId)),
    put,
  };
}
