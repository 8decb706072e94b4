import { GetStageCommand } from '@aws-sdk/client-ivs-realtime';
import { z } from 'zod';
import { ErrorCode, LookupError } from '../../errors.js';
import type { StageModel } from '../../model.js';
import { sendToIvs } from '../send.js';
import { valueSchemaOf, type ReadOperation } from './operation.js';

/** GetStage: one stage by ARN. Its name, tags and active session change rarely: fresh for its UPSTREAM_CACHE_TTL_MS_BY_OPERATION entry. */
export const GetStage = {
  name: 'GetStage',
  keyText: (arn: string) => arn,
  stageArnOf: (arn: string) => arn,
  call: (client, logger) => async (arn, signal) => {
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
  },
  valueSchema: valueSchemaOf<StageModel>(z.looseObject({ arn: z.string() })),
  freshMs: (_stage, cache) => cache.stageReads.stageTtlMs,
  generational: false,
} as const satisfies ReadOperation<string, StageModel>;
