import { GetStageSessionCommand, type IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';
import { ErrorCode, LookupError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { StageSessionKey, StageSessionModel } from '../model.js';
import { sendToIvs } from './send.js';

/** GetStageSession: one session of a stage. Rejects only with LookupError. */
export function createIvsStageSessionSource(client: IVSRealTimeClient, logger: Logger) {
  return async (key: StageSessionKey, signal: AbortSignal): Promise<StageSessionModel> => {
    const { stageSession } = await sendToIvs(
      (options) => client.send(new GetStageSessionCommand(key), options),
      { operation: 'GetStageSession', stageArn: key.stageArn },
      signal,
      logger,
    );
    if (!stageSession) throw new LookupError(ErrorCode.NOT_FOUND, 'IVS returned no stage session');
    return { ...key, startTime: stageSession.startTime, endTime: stageSession.endTime };
  };
}
