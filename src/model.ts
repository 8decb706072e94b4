import type {
  Event,
  Participant,
  ParticipantRecordingFilterByRecordingState,
  ParticipantState,
  ParticipantSummary,
  Stage,
  StageSessionSummary,
} from '@aws-sdk/client-ivs-realtime';

/** The composite key IVS needs to find one participant; also the federation entity key. */
export interface ParticipantKey {
  stageArn: string;
  sessionId: string;
  participantId: string;
}

/** The key of one stage session; also the federation entity key of `StageSession`. */
export interface StageSessionKey {
  stageArn: string;
  sessionId: string;
}

/**
 * What `Participant` resolvers receive from GetParticipant: the SDK's own `Participant` plus the key it
 * was read with, because IVS does not echo the stage ARN or session ID back.
 */
export type ParticipantModel = Participant & ParticipantKey;

/**
 * A participant as a roster page (ListParticipants) has it: the summary fields only. Resolvers of the
 * detail-only fields load the full participant (`ParticipantModel`) when a query selects one.
 */
export type RosterParticipantModel = ParticipantSummary & ParticipantKey & { readonly fromRoster: true };

/** Participant fields only GetParticipant returns: selecting one on a roster participant costs a lookup. */
export const participantDetailFields = [
  'attributes',
  'attribute',
  'ispName',
  'osName',
  'osVersion',
  'browserName',
  'browserVersion',
  'sdkVersion',
  'protocol',
  'recordingS3BucketName',
  'recordingS3Prefix',
] as const;

/** What `Participant` resolvers receive: a full participant, or one from a roster page. */
export type ParticipantParent = ParticipantModel | RosterParticipantModel;

/** Whether a participant came from a roster page and so has only the summary fields. */
export function isRosterParticipant(participant: ParticipantParent): participant is RosterParticipantModel {
  return 'fromRoster' in participant;
}

/**
 * What `Stage` resolvers receive: GetStage's `stage`, ARN included, and the two endpoints a gateway-signed
 * participant token names (`events_url`, `whip_url`; src/tokens/tokenSigner.ts).
 */
export type StageModel = Pick<Stage, 'name' | 'activeSessionId' | 'tags'> & {
  arn: string;
  endpoints?: { events?: string | undefined; whip?: string | undefined } | undefined;
};

/** What `StageSession` resolvers receive: GetStageSession's or a ListStageSessions summary, plus its stage. */
export type StageSessionModel = Pick<StageSessionSummary, 'startTime' | 'endTime'> & StageSessionKey;

/** What `ParticipantEvent` resolvers receive: ListParticipantEvents' event (tokens are never read). */
export type ParticipantEventModel = Omit<Event, 'previousToken' | 'newToken'>;

/** One page of a list operation: its items and IVS's token for the next page, if there is one. */
export interface PageModel<T> {
  items: T[];
  nextToken?: string | undefined;
}

/** Where a page starts: IVS's token from the previous page (absent for the first) and its size. */
export interface PageRequest {
  nextToken?: string | undefined;
  maxResults: number;
}

/** The one filter ListParticipants allows per call. */
export type RosterFilter =
  | { by: 'userId'; userId: string }
  | { by: 'published'; published: boolean }
  | { by: 'state'; state: ParticipantState }
  | { by: 'recordingState'; recordingState: ParticipantRecordingFilterByRecordingState };

export type StageSessionsKey = { stageArn: string } & PageRequest;
export type RosterKey = StageSessionKey & { filter?: RosterFilter | undefined } & PageRequest;
export type ParticipantEventsKey = ParticipantKey & PageRequest;

/** One string per distinct participant; used by DataLoader, the cache and the flight. */
export function participantKeyText(key: ParticipantKey): string {
  // Space cannot occur in any of the three validated fields, so the join is unambiguous.
  return `${key.stageArn} ${key.sessionId} ${key.participantId}`;
}

/** One string per stage session; same rule as `participantKeyText`. */
export function stageSessionKeyText(key: StageSessionKey): string {
  return `${key.stageArn} ${key.sessionId}`;
}

/** One string per page request of a list operation: JSON of its inputs in a fixed order. */
export function pageKeyText(parts: readonly unknown[], page: PageRequest): string {
  return JSON.stringify([...parts, page.maxResults, page.nextToken ?? null]);
}
