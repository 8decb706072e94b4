import type { IVSRealTimeClient, ParticipantSummary } from '@aws-sdk/client-ivs-realtime';
import type { Logger } from '../logger.js';
import {
  pageKeyText,
  participantKeyText,
  stageSessionKeyText,
  type PageModel,
  type ParticipantEventModel,
  type ParticipantEventsKey,
  type ParticipantKey,
  type ParticipantModel,
  type RosterKey,
  type StageModel,
  type StageSessionKey,
  type StageSessionModel,
  type StageSessionsKey,
} from '../model.js';
import type { IvsReadOperation } from './operations.js';
import { createIvsParticipantEventsSource } from './participantEventsSource.js';
import { createIvsParticipantSource } from './participantSource.js';
import { createIvsRosterSource } from './rosterSource.js';
import { createIvsStageSessionSource } from './stageSessionSource.js';
import { createIvsStageSessionsSource } from './stageSessionsSource.js';
import { createIvsStageSource } from './stageSource.js';

/** What each IVS read operation is asked (`key`) and answers (`value`). */
export interface IvsReadTypes {
  GetParticipant: { key: ParticipantKey; value: ParticipantModel };
  GetStage: { key: string; value: StageModel };
  GetStageSession: { key: StageSessionKey; value: StageSessionModel };
  ListStageSessions: { key: StageSessionsKey; value: PageModel<StageSessionModel> };
  ListParticipants: { key: RosterKey; value: PageModel<ParticipantSummary> };
  ListParticipantEvents: { key: ParticipantEventsKey; value: PageModel<ParticipantEventModel> };
}

/** One IVS call per operation; each rejects only with LookupError. */
export type IvsSources = {
  readonly [O in IvsReadOperation]: (
    key: IvsReadTypes[O]['key'],
    signal: AbortSignal,
  ) => Promise<IvsReadTypes[O]['value']>;
};

/** One string per distinct key of each operation: the per-request loaders' key and the upstream cache and flight key. */
export const readKeyTexts: { readonly [O in IvsReadOperation]: (key: IvsReadTypes[O]['key']) => string } = {
  GetParticipant: participantKeyText,
  GetStage: (arn) => arn,
  GetStageSession: stageSessionKeyText,
  ListStageSessions: (key) => pageKeyText([key.stageArn], key),
  ListParticipants: (key) => pageKeyText([key.stageArn, key.sessionId, key.filter ?? null], key),
  ListParticipantEvents: (key) => pageKeyText([key.stageArn, key.sessionId, key.participantId], key),
};

/** The stage each key is about: its ARN's region picks the IVS client and the quota domain. */
export const readStageArns: { readonly [O in IvsReadOperation]: (key: IvsReadTypes[O]['key']) => string } = {
  GetParticipant: (key) => key.stageArn,
  GetStage: (arn) => arn,
  GetStageSession: (key) => key.stageArn,
  ListStageSessions: (key) => key.stageArn,
  ListParticipants: (key) => key.stageArn,
  ListParticipantEvents: (key) => key.stageArn,
};

/** Every operation's source over one region's client. */
export function createIvsSources(client: IVSRealTimeClient, logger: Logger): IvsSources {
  const participants = createIvsParticipantSource(client, logger);
  return {
    GetParticipant: (key, signal) => participants.getParticipant(key, signal),
    GetStage: createIvsStageSource(client, logger),
    GetStageSession: createIvsStageSessionSource(client, logger),
    ListStageSessions: createIvsStageSessionsSource(client, logger),
    ListParticipants: createIvsRosterSource(client, logger),
    ListParticipantEvents: createIvsParticipantEventsSource(client, logger),
  };
}
