import { CreateParticipantTokenCommand } from '@aws-sdk/client-ivs-realtime';
import { ErrorCode, LookupError } from '../../errors.js';
import { sendToIvs } from '../send.js';
import type { WriteOperation } from './operation.js';
import type { MintedToken, MintRequest } from './writes.js';

/** CreateParticipantToken: one token for a stage; AWS allows 50 per second per account and region. */
export const CreateParticipantToken = {
  name: 'CreateParticipantToken',
  stageArnOf: (input: MintRequest) => input.stageArn,
  call:
    (client, logger) =>
    async (input, signal): Promise<MintedToken> => {
      const { participantToken } = await sendToIvs(
        (options) =>
          client.send(
            new CreateParticipantTokenCommand({
              stageArn: input.stageArn,
              userId: input.userId,
              attributes: { ...input.attributes },
              capabilities: [...input.capabilities],
              duration: input.durationMinutes,
            }),
            options,
          ),
        { operation: 'CreateParticipantToken', stageArn: input.stageArn },
        signal,
        logger,
      );
      const { token, participantId } = participantToken ?? {};
      if (token === undefined || participantId === undefined) {
        throw new LookupError(ErrorCode.UPSTREAM_UNAVAILABLE, 'IVS returned no participant token');
      }
      return {
        token,
        participantId,
        userId: participantToken?.userId ?? input.userId,
        attributes: participantToken?.attributes ?? input.attributes,
        capabilities: participantToken?.capabilities ?? input.capabilities,
        expirationTime: participantToken?.expirationTime ?? new Date(Date.now() + input.durationMinutes * 60_000),
      };
    },
  quotaTps: 50,
} as const satisfies WriteOperation<MintRequest, MintedToken>;
