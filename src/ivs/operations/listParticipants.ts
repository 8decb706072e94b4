import { ListParticipantsCommand, type ParticipantSummary } from '@aws-sdk/client-ivs-realtime';
import { z } from 'zod';
import { pageKeyText, type PageModel, type RosterFilter, type RosterKey } from '../../model.js';
import { sendToIvs } from '../send.js';
import { pageSchemaOf, revivedDate, type ReadOperation, valueSchemaOf } from './operation.js';

/**
 * ListParticipants: one page of a session's participant summaries, with at most one filter. Participants
 * join, publish and leave at any moment: fresh only `rosterTtlMs`.
 */
export const ListParticipants = {
  name: 'ListParticipants',
  keyText: (key: RosterKey) => pageKeyText([key.stageArn, key.sessionId, key.filter ?? null], key),
  stageArnOf: (key: RosterKey) => key.stageArn,
  call: (client, logger) => async (key, signal) => {
    const { stageArn, sessionId, nextToken, maxResults } = key;
    const input = { stageArn, sessionId, nextToken, maxResults, ...filterInput(key.filter) };
    const page = await sendToIvs(
      (options) => client.send(new ListParticipantsCommand(input), options),
      { operation: 'ListParticipants', stageArn },
      signal,
      logger,
    );
    return { items: page.participants ?? [], nextToken: page.nextToken };
  },
  valueSchema: valueSchemaOf<PageModel<ParticipantSummary>>(
    pageSchemaOf(z.looseObject({ firstJoinTime: revivedDate.optional() })),
  ),
  freshMs: (_page, cache) => cache.stageReads.rosterTtlMs,
  generational: true,
  connectionField: 'StageSession.participants',
} as const satisfies ReadOperation<RosterKey, PageModel<ParticipantSummary>>;

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
