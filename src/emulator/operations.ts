import { pageOf, pageTokensFor } from './pageToken.js';
import type { WireParticipant } from './seed.js';
import { activeSessionOf, type StageStore, type StoredSession } from './stageStore.js';
import { inputText, type EmulatedOperation, type ValidInput } from './validation.js';
import { knownError, type WireError } from './wire.js';
import { writeOperations, type TokenRegistry } from './writes.js';

/** What an operation answers once its input passed validation. */
export type OperationReply =
  { readonly kind: 'answer'; readonly body: unknown } | ({ readonly kind: 'error' } & WireError);

type Operation = (input: ValidInput, store: StageStore, tokens: TokenRegistry) => OperationReply;

const answer = (body: unknown): OperationReply => ({ kind: 'answer', body });
const error = (...args: Parameters<typeof knownError>): OperationReply => ({ kind: 'error', ...knownError(...args) });
const text = inputText;
const optionalText = (value: ValidInput[string]): string | undefined =>
  value === undefined ? undefined : inputText(value);
const participantKeyOf = (input: ValidInput) => ({
  stageArn: text(input['stageArn']),
  sessionId: text(input['sessionId']),
  participantId: text(input['participantId']),
});
const paging = (input: ValidInput) => ({
  nextToken: optionalText(input['nextToken']),
  maxResults: typeof input['maxResults'] === 'number' ? input['maxResults'] : undefined,
});
const invalidToken = () => error('ValidationException', 'The provided nextToken is not valid');

const summaryFields = [
  'participantId',
  'userId',
  'state',
  'firstJoinTime',
  'published',
  'recordingState',
  'replicationType',
  'replicationState',
  'sourceStageArn',
  'sourceSessionId',
  'redundantIngest',
  'ingestConfigurationArn',
] as const satisfies readonly (keyof WireParticipant)[];

/** What ListParticipants returns for a participant: the summary fields only, no attributes or client details. */
function summaryOf(participant: WireParticipant): Partial<WireParticipant> {
  return Object.fromEntries(
    summaryFields.filter((field) => participant[field] !== undefined).map((field) => [field, participant[field]]),
  );
}

function sessionWire(session: StoredSession) {
  return { sessionId: session.sessionId, startTime: session.startTime, endTime: session.endTime };
}

const participantFilters = ['filterByUserId', 'filterByPublished', 'filterByState', 'filterByRecordingState'] as const;

function matchesFilter(participant: WireParticipant, input: ValidInput): boolean {
  if (input['filterByUserId'] !== undefined) return participant.userId === input['filterByUserId'];
  if (input['filterByPublished'] !== undefined) return (participant.published ?? false) === input['filterByPublished'];
  if (input['filterByState'] !== undefined) return participant.state === input['filterByState'];
  if (input['filterByRecordingState'] !== undefined)
    return participant.recordingState === input['filterByRecordingState'];
  return true;
}

/** The emulated operations, after quota, faults and validation (see handler.ts). */
export const operations: Record<EmulatedOperation, Operation> = {
  GetParticipant(input, store) {
    const { stageArn, sessionId, participantId } = participantKeyOf(input);
    const participant = store.participant(stageArn, sessionId, participantId);
    if (participant === undefined) {
      const message = `Participant '${participantId}' not found in session '${sessionId}' of stage '${stageArn}'`;
      return error('ResourceNotFoundException', message);
    }
    return answer({ participant });
  },

  GetStage(input, store) {
    const arn = text(input['arn']);
    const stage = store.stage(arn);
    if (stage === undefined) return error('ResourceNotFoundException', `Stage '${arn}' not found`);
    return answer({
      stage: {
        arn,
        name: stage.name,
        activeSessionId: activeSessionOf(stage)?.sessionId,
        tags: stage.tags,
        endpoints: stageEndpoints(arn),
      },
    });
  },

  GetStageSession(input, store) {
    const { stageArn, sessionId } = participantKeyOf(input);
    const session = store.session(stageArn, sessionId);
    if (session === undefined) {
      return error('ResourceNotFoundException', `Session '${sessionId}' not found in stage '${stageArn}'`);
    }
    return answer({ stageSession: sessionWire(session) });
  },

  // The list operations document no ResourceNotFoundException: an unknown stage or session lists nothing.
  ListStageSessions(input, store) {
    const stageArn = text(input['stageArn']);
    const sessions = [...(store.stage(stageArn)?.sessions.values() ?? [])];
    const page = pageOf(sessions, paging(input), pageTokensFor({ op: 'ListStageSessions', stageArn }));
    if (!page.ok) return invalidToken();
    return answer({ stageSessions: page.page.map(sessionWire), nextToken: page.nextToken });
  },

  ListParticipants(input, store) {
    const filters = participantFilters.filter((filter) => input[filter] !== undefined);
    if (filters.length > 1) {
      return error('ValidationException', `Only one filter may be specified; got ${filters.join(', ')}`);
    }
    const { stageArn, sessionId } = participantKeyOf(input);
    const all = [...(store.session(stageArn, sessionId)?.participants.values() ?? [])];
    const filter = Object.fromEntries(filters.map((name) => [name, input[name]]));
    const tokens = pageTokensFor({ op: 'ListParticipants', stageArn, sessionId, filter });
    const page = pageOf(
      all.filter((participant) => matchesFilter(participant, input)),
      paging(input),
      tokens,
    );
    if (!page.ok) return invalidToken();
    return answer({ participants: page.page.map(summaryOf), nextToken: page.nextToken });
  },

  ListParticipantEvents(input, store) {
    const { stageArn, sessionId, participantId } = participantKeyOf(input);
    const events = store.events(stageArn, sessionId, participantId) ?? [];
    const tokens = pageTokensFor({ op: 'ListParticipantEvents', stageArn, sessionId, participantId });
    const page = pageOf(events, paging(input), tokens);
    if (!page.ok) return invalidToken();
    return answer({ events: page.page, nextToken: page.nextToken });
  },

  ...writeOperations,
};

/** The endpoints GetStage returns, in the form IVS gives them (the WHIP host is per stage). */
function stageEndpoints(arn: string) {
  const id = (arn.split('/')[1] ?? '').toLowerCase();
  return {
    events: 'wss://global.events.live-video.net',
    whip: `https://${id}.global-bm.whip.live-video.net`,
    rtmp: `rtmp://${id}.global-contribute-staging.live-video.net/app/`,
    rtmps: `rtmps://${id}.global-contribute-staging.live-video.net:443/app/`,
  };
}
