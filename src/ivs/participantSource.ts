import { GetParticipantCommand, type IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';
import { ErrorCode, LookupError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ParticipantKey, ParticipantModel } from '../model.js';
import { classifyIvsFailure, readIvsMessage, type SdkErrorShape } from './failures.js';

/** Where participants come from. Rejects only with LookupError. */
export interface ParticipantSource {
  getParticipant(key: ParticipantKey, signal: AbortSignal): Promise<ParticipantModel>;
}

// Failures that are the operator's to fix: clients only see a fixed message, so the log carries IVS's own.
const operatorFailures = new Set<ErrorCode>([ErrorCode.FORBIDDEN, ErrorCode.UPSTREAM_AUTH_FAILED]);

/** The only caller of the IVS SDK: one GetParticipant per call, failures classified. */
export function createIvsParticipantSource(client: IVSRealTimeClient, logger: Logger): ParticipantSource {
  return {
    async getParticipant(key, signal) {
      let participant;
      try {
        ({ participant } = await client.send(new GetParticipantCommand(key), { abortSignal: signal }));
      } catch (error) {
        const failure = classifyIvsFailure(error);
        if (operatorFailures.has(failure.code)) {
          logger.error(
            { ...failure.details.ivs, stageArn: key.stageArn, ivsMessage: readIvsMessage(error as SdkErrorShape) },
            "IVS refused the gateway's AWS identity: check its credentials and that its IAM policy allows ivs:GetParticipant on this stage",
          );
        }
        throw failure;
      }
      if (!participant) throw new LookupError(ErrorCode.NOT_FOUND, 'IVS returned no participant');
      // IVS does not echo the stage and session; the caller's key is the identity.
      return { ...participant, ...key };
    },
  };
}
