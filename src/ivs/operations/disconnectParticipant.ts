import { DisconnectParticipantCommand } from '@aws-sdk/client-ivs-realtime';
import { sendToIvs } from '../send.js';
import type { WriteOperation } from './operation.js';
import type { DisconnectRequest } from './writes.js';

/** DisconnectParticipant: ends a participant's connection; AWS allows 5 per second per account and region. */
export const DisconnectParticipant = {
  name: 'DisconnectParticipant',
  stageArnOf: (input: DisconnectRequest) => input.stageArn,
  call:
    (client, logger) =>
    async (input, signal): Promise<void> => {
      await sendToIvs(
        (options) =>
          client.send(
            new DisconnectParticipantCommand({
              stageArn: input.stageArn,
              participantId: input.participantId,
              reason: input.reason,
            }),
            options,
          ),
        { operation: 'DisconnectParticipant', stageArn: input.stageArn },
        signal,
        logger,
      );
    },
  quotaTps: 5,
} as const satisfies WriteOperation<DisconnectRequest, void>;
