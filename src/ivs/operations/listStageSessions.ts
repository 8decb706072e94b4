import { ListStageSessionsCommand } from '@aws-sdk/client-ivs-realtime';
import { pageKeyText, type PageModel, type StageSessionModel, type StageSessionsKey } from '../../model.js';
import { sendToIvs } from '../send.js';
import { sessionSchema } from './getStageSession.js';
import { pageSchemaOf, type ReadOperation, valueSchemaOf } from './operation.js';

/** ListStageSessions: one page of a stage's sessions, newest first. A new session shifts every page: `sessionsTtlMs`. */
export const ListStageSessions = {
  name: 'ListStageSessions',
  keyText: (key: StageSessionsKey) => pageKeyText([key.stageArn], key),
  stageArnOf: (key: StageSessionsKey) => key.stageArn,
  call: (client, logger) => async (key, signal) => {
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
  },
  valueSchema: valueSchemaOf<PageModel<StageSessionModel>>(pageSchemaOf(sessionSchema)),
  freshMs: (_page, cache) => cache.stageReads.sessionsTtlMs,
  generational: false,
  connectionField: 'Stage.sessions',
} as const satisfies ReadOperation<StageSessionsKey, PageModel<StageSessionModel>>;
