import { GetParticipantCommand, type IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';
import { ErrorCode, LookupError } from '../errors.js';
import type { ParticipantKey, ParticipantModel } from '../model.js';
import { classifyIvsFailure } from './failures.js';

/** Where participants come from. Rejects only with LookupError. */
export interface ParticipantSource {
  getParticipant(key: ParticipantKey, signal: AbortSignal): Promise<ParticipantModel>;
}

/** The only caller of the IVS SDK: one GetParticipant per call, failures classified. */
export function createIvsParticipantSource(client: IVSRealTimeClient): ParticipantSource {
  return {
    async getParticipant(key, signal) {
      let participant;
      try {
        ({ participant } = await client.send(new GetParticipantCommand(key), { abortSignal: signal }));
      } catch (error) {
        throw classifyIvsFailure(error);
      }
      if (!participant) throw new LookupError(ErrorCode.NOT_FOUND, 'IVS returned no participant');
      // IVS does not echo the stage and session; the caller's key is the identity.
      return { ...participant, ...key };
    },
  };
}
