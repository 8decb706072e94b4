import { GetParticipantCommand, type IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';
import { ErrorCode, LookupError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ParticipantKey, ParticipantModel } from '../model.js';
import { sendToIvs } from './send.js';

/** Where participants come from. Rejects only with LookupError. */
export interface ParticipantSource {
  getParticipant(key: ParticipantKey, signal: AbortSignal): Promise<ParticipantModel>;
}

/** GetParticipant: one call per lookup, failures classified. */
export function createIvsParticipantSource(client: IVSRealTimeClient, logger: Logger): ParticipantSource {
  return {
    async getParticipant(key, signal) {
      const { participant } = await sendToIvs(
        (options) => client.send(new GetParticipantCommand(key), options),
        { operation: 'GetParticipant', stageArn: key.stageArn },
        signal,
        logger,
      );
      if (!participant) throw new LookupError(ErrorCode.NOT_FOUND, 'IVS returned no participant');
      // IVS does not echo the stage and session; the caller's key is the identity.
      return { ...participant, ...key };
    },
  };
}
