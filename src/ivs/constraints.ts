import type { ParticipantKey } from '../model.js';

export interface FieldConstraint {
  readonly min: number;
  readonly max: number;
  /** Kept as text because AWS quotes it verbatim in messages (RegExp#source would escape the '/'). */
  readonly pattern: string;
}

/** GetParticipant's input constraints as published in the IVS Real-Time API reference. */
export const getParticipantConstraints = {
  stageArn: { min: 1, max: 128, pattern: '^arn:aws:ivs:[a-z0-9-]+:[0-9]+:stage/[a-zA-Z0-9-]+$' },
  sessionId: { min: 16, max: 16, pattern: '^st-[a-zA-Z0-9]+$' },
  participantId: { min: 0, max: 64, pattern: '^[a-zA-Z0-9-]*$' },
} as const satisfies Record<keyof ParticipantKey, FieldConstraint>;

/** The list operations' paging and filter inputs, as published in the same reference. */
export const listConstraints = {
  nextToken: { min: 0, max: 1024, pattern: '^[a-zA-Z0-9+/=_-]*$' },
  filterByUserId: { min: 0, max: 128, pattern: '^[\\s\\S]*$' },
  maxResults: { min: 1, max: 100 },
} as const;

/** CreateParticipantToken's and DisconnectParticipant's inputs, as published in the same reference. */
export const writeConstraints = {
  userId: { min: 0, max: 128, pattern: '^[\\s\\S]*$' },
  participantId: { min: 1, max: 64, pattern: '^[a-zA-Z0-9-]+$' },
  reason: { min: 0, max: 128, pattern: '^[\\s\\S]*$' },
  durationMinutes: { min: 1, max: 20_160 },
  /** Keys and values together, UTF-8. */
  attributesMaxBytes: 1024,
} as const;
