import type { Participant } from '@aws-sdk/client-ivs-realtime';

/** The composite key IVS needs to find one participant; also the federation entity key. */
export interface ParticipantKey {
  stageArn: string;
  sessionId: string;
  participantId: string;
}

/**
 * What `Participant` resolvers receive: the SDK's own `Participant` plus the key it was read with,
 * because IVS does not echo the stage ARN or session ID back.
 */
export type ParticipantModel = Participant & ParticipantKey;

/** One string per distinct participant; used by DataLoader, the cache and the coalescer. */
export function participantKeyText(key: ParticipantKey): string {
  // Space cannot occur in any of the three validated fields, so the join is unambiguous.
  return `${key.stageArn} ${key.sessionId} ${key.participantId}`;
}
