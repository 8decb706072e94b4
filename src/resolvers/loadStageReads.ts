import type { ParticipantSummary } from '@aws-sdk/client-ivs-realtime';
import type { ParticipantFilter } from '../__generated__/resolvers-types.js';
import { authorizeStageArn } from '../auth/principal.js';
import type { GatewayContext } from '../context.js';
import type {
  ParticipantEventModel,
  ParticipantKey,
  RosterParticipantModel,
  StageModel,
  StageSessionKey,
  StageSessionModel,
} from '../model.js';
import { validateRosterFilter, validateStageArn, validateStageSessionKey } from '../validation.js';
import { loadConnection, type Connection } from './connection.js';

// The stage reads (stages, sessions, rosters, participant events), like loadParticipant: validate, check the
// caller's stage grants, then load through the request's DataLoader. Nothing invalid or forbidden costs an
// IVS call. Async, so a bad key fails its own field.

/** One stage, by ARN (GetStage). */
export async function loadStage(context: GatewayContext, arn: unknown): Promise<StageModel> {
  return context.loaders.GetStage.load(
    authorizeStageArn(context.principal, validateStageArn(arn, context.servedStages)),
  );
}

/** One stage session (GetStageSession). */
export async function loadStageSession(
  context: GatewayContext,
  input: Record<keyof StageSessionKey, unknown>,
): Promise<StageSessionModel> {
  const key = validateStageSessionKey(input, context.servedStages);
  authorizeStageArn(context.principal, key.stageArn);
  return context.loaders.GetStageSession.load(key);
}

interface PageArgs {
  readonly first: number;
  readonly after?: string | null | undefined;
}

/** A page of a stage's sessions (ListStageSessions). */
export async function loadStageSessions(
  context: GatewayContext,
  stageArn: string,
  { first, after }: PageArgs,
): Promise<Connection<StageSessionModel>> {
  authorizeStageArn(context.principal, stageArn);
  return loadConnection({
    cursors: context.cursors,
    connection: JSON.stringify(['ListStageSessions', stageArn]),
    first,
    after,
    load: (page) => context.loaders.ListStageSessions.load({ stageArn, ...page }),
    node: (session) => session,
  });
}

/**
 * A page of a session's roster (ListParticipants). Its participants carry the summary fields only;
 * Participant's detail resolvers load the rest when a query asks for it.
 */
export async function loadRoster(
  context: GatewayContext,
  session: StageSessionKey,
  args: PageArgs & { readonly filter?: ParticipantFilter | null | undefined },
): Promise<Connection<RosterParticipantModel>> {
  const { stageArn, sessionId } = session;
  // Checked before the page size, so two filters are refused whatever else is wrong.
  const filter = validateRosterFilter(args.filter);
  authorizeStageArn(context.principal, stageArn);
  return loadConnection({
    cursors: context.cursors,
    connection: JSON.stringify(['ListParticipants', stageArn, sessionId, filter ?? null]),
    first: args.first,
    after: args.after,
    load: (page) => context.loaders.ListParticipants.load({ stageArn, sessionId, filter, ...page }),
    node: (summary: ParticipantSummary) => ({
      ...summary,
      stageArn,
      sessionId,
      participantId: summary.participantId ?? '',
      fromRoster: true as const,
    }),
  });
}

/** A page of a participant's history (ListParticipantEvents). */
export async function loadParticipantEvents(
  context: GatewayContext,
  participant: ParticipantKey,
  { first, after }: PageArgs,
): Promise<Connection<ParticipantEventModel>> {
  const { stageArn, sessionId, participantId } = participant;
  authorizeStageArn(context.principal, stageArn);
  return loadConnection({
    cursors: context.cursors,
    connection: JSON.stringify(['ListParticipantEvents', stageArn, sessionId, participantId]),
    first,
    after,
    load: (page) => context.loaders.ListParticipantEvents.load({ stageArn, sessionId, participantId, ...page }),
    node: (event) => event,
  });
}
