import type { CreateParticipantTokenInput, DisconnectParticipantInput } from '../__generated__/resolvers-types.js';
import type { Principal } from '../auth/principal.js';
import { callerOf } from '../context.js';
import { ErrorCode, LookupError } from '../errors.js';
import type { DisconnectRequest, MintedToken } from '../ivs/operations/writes.js';
import type { Logger } from '../logger.js';
import type { ParticipantKey } from '../model.js';
import type { UpstreamReads, UpstreamWrites } from '../upstream/index.js';
import type { Invalidation } from '../upstream/cache/invalidation.js';
import type { ServedStages } from '../validation.js';
import type { StageEndpoints, TokenSigner } from './tokenSigner.js';
import { authorizeDisconnect, authorizeMint } from './writeRequests.js';

/** Minting participant tokens and disconnecting participants, for one caller at a time. */
export interface Moderation {
  /** A token, or a LookupError: FORBIDDEN and BAD_USER_INPUT before any IVS call, else IVS's or the quota's. */
  mint(principal: Principal, input: CreateParticipantTokenInput): Promise<MintedToken>;
  /** Disconnects, then drops the stage's cached answers fleet-wide; NOT_FOUND when nobody such is connected. */
  disconnect(principal: Principal, input: DisconnectParticipantInput): Promise<DisconnectRequest>;
}

export interface ModerationDeps {
  readonly reads: UpstreamReads;
  readonly writes: UpstreamWrites;
  readonly invalidation: Invalidation;
  readonly servedStages: ServedStages;
  /** null: tokens come from CreateParticipantToken; otherwise the gateway signs them. */
  readonly signer: TokenSigner | null;
  readonly logger: Logger;
  /** Told after each successful disconnect, with the participant's session when GetStage names it. */
  readonly onDisconnected?: ((key: ParticipantKey) => void) | undefined;
}

/**
 * Every mint and disconnect writes one audit line (`audit: "mint" | "disconnect"`): who, which stage and
 * participant, what capabilities for how long, and how the token was made; never the token.
 */
export function createModeration(deps: ModerationDeps): Moderation {
  const { reads, writes, invalidation, servedStages, signer, logger } = deps;
  const mode = signer === null ? 'api' : 'signed';

  const endpointsOf = async (principal: Principal, stageArn: string): Promise<StageEndpoints> => {
    const outcome = await reads.GetStage.lookup(stageArn, { caller: callerOf(principal), cacheMode: 'use' });
    if (!outcome.ok) throw outcome.error;
    const { events, whip } = outcome.value.endpoints ?? {};
    if (events === undefined || whip === undefined) {
      throw new LookupError(ErrorCode.UPSTREAM_UNAVAILABLE, 'IVS named no events or WHIP endpoint for this stage');
    }
    return { events, whip };
  };

  return {
    async mint(principal, input) {
      const request = authorizeMint(principal, input, servedStages);
      let minted: MintedToken;
      if (signer === null) {
        const outcome = await writes.CreateParticipantToken.write(request, callerOf(principal));
        if (!outcome.ok) throw outcome.error;
        minted = outcome.value;
      } else {
        minted = await signer.sign(request, await endpointsOf(principal, request.stageArn));
      }
      logger.info(
        {
          audit: 'mint',
          caller: principal.id,
          stageArn: request.stageArn,
          participantId: minted.participantId,
          userId: minted.userId,
          capabilities: minted.capabilities,
          durationMinutes: request.durationMinutes,
          mode,
        },
        'participant token minted',
      );
      return minted;
    },

    async disconnect(principal, input) {
      const request = authorizeDisconnect(principal, input, servedStages);
      const outcome = await writes.DisconnectParticipant.write(request, callerOf(principal));
      if (!outcome.ok) throw outcome.error;
      // Before answering: the caller's next query must not be served the participant as still connected.
      await invalidation.invalidateStage(request.stageArn);
      logger.info(
        { audit: 'disconnect', caller: principal.id, stageArn: request.stageArn, participantId: request.participantId },
        'participant disconnected',
      );
      if (deps.onDisconnected) void notifyDisconnected(principal, request);
      return request;
    },
  };

  // The hook wants the participant's key: its session is the stage's active one (GetStage, usually cached).
  async function notifyDisconnected(principal: Principal, request: DisconnectRequest): Promise<void> {
    const outcome = await reads.GetStage.lookup(request.stageArn, { caller: callerOf(principal), cacheMode: 'use' });
    const sessionId = outcome.ok ? outcome.value.activeSessionId : undefined;
    if (sessionId === undefined) return;
    try {
      deps.onDisconnected?.({ stageArn: request.stageArn, sessionId, participantId: request.participantId });
    } catch (error) {
      logger.error({ err: error }, 'onDisconnected hook failed');
    }
  }
}
