import { ListParticipantEventsCommand } from '@aws-sdk/client-ivs-realtime';
import { z } from 'zod';
import { pageKeyText, type PageModel, type ParticipantEventModel, type ParticipantEventsKey } from '../../model.js';
import { sendToIvs } from '../send.js';
import { pageSchemaOf, revivedDate, type ReadOperation, valueSchemaOf } from './operation.js';

/**
 * ListParticipantEvents: one page of a participant's history. Histories only grow at the end, so a page
 * with a next page, or one ending with LEFT, is settled (`settledTtlMs`); the last page lives `eventsTtlMs`.
 */
export const ListParticipantEvents = {
  name: 'ListParticipantEvents',
  keyText: (key: ParticipantEventsKey) => pageKeyText([key.stageArn, key.sessionId, key.participantId], key),
  stageArnOf: (key: ParticipantEventsKey) => key.stageArn,
  call: (client, logger) => async (key, signal) => {
    const page = await sendToIvs(
      (options) => client.send(new ListParticipantEventsCommand(key), options),
      { operation: 'ListParticipantEvents', stageArn: key.stageArn },
      signal,
      logger,
    );
    // Token claims (previousToken, newToken) are dropped here, so no later layer can cache or show them.
    return {
      items: (page.events ?? []).map(({ previousToken: _previous, newToken: _new, ...event }) => event),
      nextToken: page.nextToken,
    };
  },
  valueSchema: valueSchemaOf<PageModel<ParticipantEventModel>>(
    pageSchemaOf(z.looseObject({ eventTime: revivedDate.optional() })),
  ),
  freshMs: (page, cache) =>
    page.nextToken !== undefined || page.items.at(-1)?.name === 'LEFT'
      ? cache.stageReads.settledTtlMs
      : cache.stageReads.eventsTtlMs,
  generational: true,
  connectionField: 'Participant.events',
} as const satisfies ReadOperation<ParticipantEventsKey, PageModel<ParticipantEventModel>>;
