import { ListParticipantsCommand, type IVSRealTimeClient, type ParticipantSummary } from '@aws-sdk/client-ivs-realtime';
import type { Logger } from '../logger.js';
import type { PageModel, RosterFilter, RosterKey } from '../model.js';
import { sendToIvs } from './send.js';

/** ListParticipants: one page of a session's participant summaries, with at most one filter. Rejects only with LookupError. */
export function createIvsRosterSource(client: IVSRealTimeClient, logger: Logger) {
  return async (key: RosterKey, signal: AbortSignal): Promise<PageModel<ParticipantSummary>> => {
    const { stageArn, sessionId, nextToken, maxResults } = key;
    const input = { stageArn, sessionId, nextToken, maxResults, ...filterInput(key.filter) };
    const page = await sendToIvs(
      (options) => client.send(new ListParticipantsCommand(input), options),
      { operation: 'ListParticipants', stageArn },
      signal,
      logger,
    );
    return { items: page.participants ?? [], nextToken: page.nextToken };
  };
}

function filterInput(filter: RosterFilter | undefined) {
  switch (filter?.by) {
    case undefined:
      return {};
    case 'userId':
      return { filterByUserId: filter.userId };
    case 'published':
      return { filterByPublished: filter.published };
    case 'state':
      return { filterByState: filter.state };
    case 'recordingState':
      return { filterByRecordingState: filter.recordingState };
  }
}
