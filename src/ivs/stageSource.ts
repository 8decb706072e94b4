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
    // The fields the schema shows, and the endpoints self-signed tokens name; recording settings stay out of the cache.
    const { events, whip } = stage.endpoints ?? {};
    return {
      arn,
      name: stage.name,
      activeSessionId: stage.activeSessionId,
      tags: stage.tags,
      ...(stage.endpoints && { endpoints: { events, whip } }),
    };
  };
}
