import {
  CreateParticipantTokenCommand,
  DisconnectParticipantCommand,
  type IVSRealTimeClient,
} from '@aws-sdk/client-ivs-realtime';
import type { Capability } from '../auth/principal.js';
import { ErrorCode, LookupError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { IvsWriteOperation } from './operations.js';
import { sendToIvs } from './send.js';

/** What CreateParticipantToken is asked, validated and authorized (src/tokens/mintRequest.ts). */
export interface MintRequest {
  readonly stageArn: string;
  readonly userId: string | undefined;
  readonly attributes: Readonly<Record<string, string>>;
  readonly capabilities: readonly Capability[];
  readonly durationMinutes: number;
}

/** A participant token, however it was made. `token` is a credential: never log it or keep it. */
export interface MintedToken {
  readonly token: string;
  readonly participantId: string;
  readonly userId: string | undefined;
  readonly attributes: Readonly<Record<string, string>>;
  readonly capabilities: readonly Capability[];
  readonly expirationTime: Date;
}

/** What DisconnectParticipant is asked. */
export interface DisconnectRequest {
  readonly stageArn: string;
  readonly participantId: string;
  readonly reason: string | undefined;
}

/** What each IVS write operation is asked and answers. */
export interface IvsWriteTypes {
  CreateParticipantToken: { input: MintRequest; value: MintedToken };
  DisconnectParticipant: { input: DisconnectRequest; value: void };
}

/** One IVS call per write operation; each rejects only with LookupError. */
export type IvsWriteSources = {
  readonly [O in IvsWriteOperation]: (
    input: IvsWriteTypes[O]['input'],
    signal: AbortSignal,
  ) => Promise<IvsWriteTypes[O]['value']>;
};

/** The write operations over one region's client. */
export function createIvsWriteSources(client: IVSRealTimeClient, logger: Logger): IvsWriteSources {
  return {
    async CreateParticipantToken(input, signal) {
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

    async DisconnectParticipant(input, signal) {
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
  };
}
