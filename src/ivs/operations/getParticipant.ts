import { GetParticipantCommand } from '@aws-sdk/client-ivs-realtime';
import { z } from 'zod';
import { ErrorCode, LookupError } from '../../errors.js';
import { participantKeyText, type ParticipantKey, type ParticipantModel } from '../../model.js';
import { sendToIvs } from '../send.js';
import { revivedDate, type CacheSettings, type ReadOperation, valueSchemaOf } from './operation.js';

/**
 * GetParticipant: one participant with every field. CONNECTED participants may change at any moment,
 * DISCONNECTED ones hardly (IVS never reconnects a participant ID).
 */
export const GetParticipant = {
  name: 'GetParticipant',
  keyText: participantKeyText,
  stageArnOf: (key: ParticipantKey) => key.stageArn,
  call: (client, logger) => async (key, signal) => {
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
  valueSchema: valueSchemaOf<ParticipantModel>(
    z.looseObject({
      stageArn: z.string(),
      sessionId: z.string(),
      participantId: z.string(),
      firstJoinTime: revivedDate.optional(),
    }),
  ),
  freshMs: (participant: ParticipantModel, cache: Pick<CacheSettings, 'connectedTtlMs' | 'disconnectedTtlMs'>) =>
    participant.state === 'DISCONNECTED' ? cache.disconnectedTtlMs : cache.connectedTtlMs,
  generational: true,
} as const satisfies ReadOperation<ParticipantKey, ParticipantModel>;
