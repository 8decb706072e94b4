import { GetStageSessionCommand } from '@aws-sdk/client-ivs-realtime';
import { z } from 'zod';
import { ErrorCode, LookupError } from '../../errors.js';
import { stageSessionKeyText, type StageSessionKey, type StageSessionModel } from '../../model.js';
import { sendToIvs } from '../send.js';
import { revivedDate, type ReadOperation, valueSchemaOf } from './operation.js';

/** A session as the cache stores it, alone or in a ListStageSessions page: identity checked, dates revived. */
export const sessionSchema = z.looseObject({
  stageArn: z.string(),
  sessionId: z.string(),
  startTime: revivedDate.optional(),
  endTime: revivedDate.optional(),
});

/** GetStageSession: one session of a stage. Once ended it cannot change: fresh `settledTtlMs`, else `sessionsTtlMs`. */
export const GetStageSession = {
  name: 'GetStageSession',
  keyText: stageSessionKeyText,
  stageArnOf: (key: StageSessionKey) => key.stageArn,
  call: (client, logger) => async (key, signal) => {
    const { stageSession } = await sendToIvs(
      (options) => client.send(new GetStageSessionCommand(key), options),
      { operation: 'GetStageSession', stageArn: key.stageArn },
      signal,
      logger,
    );
    if (!stageSession) throw new LookupError(ErrorCode.NOT_FOUND, 'IVS returned no stage session');
    return { ...key, startTime: stageSession.startTime, endTime: stageSession.endTime };
  },
  valueSchema: valueSchemaOf<StageSessionModel>(sessionSchema),
  freshMs: (session, cache) =>
    session.endTime === undefined ? cache.stageReads.sessionsTtlMs : cache.stageReads.settledTtlMs,
  generational: false,
} as const satisfies ReadOperation<StageSessionKey, StageSessionModel>;
