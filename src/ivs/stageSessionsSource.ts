import { ListStageSessionsCommand, type IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';
import type { Logger } from '../logger.js';
import type { PageModel, StageSessionModel, StageSessionsKey } from '../model.js';
import { sendToIvs } from './send.js';

/** ListStageSessions: one page of a stage's sessions, newest first. Rejects only with LookupError. */
export function createIvsStageSessionsSource(client: IVSRealTimeClient, logger: Logger) {
  return async (key: StageSessionsKey, signal: AbortSignal): Promise<PageModel<StageSessionModel>> => {
    const { stageArn, nextToken, maxResults } = key;
    const page = await sendToIvs(
      (options) => client.send(new ListStageSessionsCommand({ stageArn, nextToken, maxResults }), options),
      { operation: 'ListStageSessions', stageArn },
      signal,
      logger,
    );
    return {
      items: (page.stageSessions ?? []).flatMap(({ sessionId, startTime, endTime }) =>
        sessionId === undefined ? [] : [{ stageArn, sessionId, startTime, endTime }],
      ),
      nextToken: page.nextToken,
    };
  };
}
