import { ListParticipantEventsCommand, type IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';
import type { Logger } from '../logger.js';
import type { PageModel, ParticipantEventModel, ParticipantEventsKey } from '../model.js';
import { sendToIvs } from './send.js';

/** ListParticipantEvents: one page of a participant's history. Rejects only with LookupError. */
export function createIvsParticipantEventsSource(client: IVSRealTimeClient, logger: Logger) {
  return async (key: ParticipantEventsKey, signal: AbortSignal): Promise<PageModel<ParticipantEventModel>> => {
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
  };
}
