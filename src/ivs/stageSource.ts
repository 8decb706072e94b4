import { GetStageCommand, type IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';
import { ErrorCode, LookupError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { StageModel } from '../model.js';
import { sendToIvs } from './send.js';

/** GetStage: one stage by ARN. Rejects only with LookupError. */
export function createIvsStageSource(client: IVSRealTimeClient, logger: Logger) {
  return async (arn: string, signal: AbortSignal): Promise<StageModel> => {
    const { stage } = await sendToIvs(
      (options) => client.send(new GetStageCommand({ arn }), options),
      { operation: 'GetStage', stageArn: arn },
      signal,
      logger,
    );
    if (!stage) throw new LookupError(ErrorCode.NOT_FOUND, 'IVS returned no stage');
    // Only the fields the schema shows: endpoints and recording settings stay out of the cache.
    return { arn, name: stage.name, activeSessionId: stage.activeSessionId, tags: stage.tags };
  };
}
