import type { ParticipantKey } from '../model.js';

/** The `IVS Stage Update` event names the gateway acts on (others are accepted and ignored). */
export const stageEventNames = [
  'Participant Published',
  'Participant Unpublished',
  'Participant Publish Error',
  'Participant Replication Started',
  'Participant Replication Stopped',
] as const;
export type StageEventName = (typeof stageEventNames)[number];

/**
 * One EventBridge `IVS Stage Update` event about a participant, checked and reduced to what the live
 * layer needs. Best effort on IVS's side: it may be missing, late, duplicated or out of order.
 */
export interface StageEvent extends ParticipantKey {
  /** EventBridge's event id: the same id twice is one event. */
  readonly id: string;
  /** When IVS says it happened (`detail.event_time`, else the envelope's `time`). */
  readonly time: Date;
  readonly name: StageEventName;
  readonly userId: string | undefined;
  /** What the event says of `published` (ever published in the session): true after Participant Published, else undefined. */
  readonly published: boolean | undefined;
}

/** Where checked events go: the live layer applies them (patch, push, revalidate). */
export type StageEventSink = (event: StageEvent) => void;
