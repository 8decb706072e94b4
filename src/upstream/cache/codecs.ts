import type { ParticipantSummary } from '@aws-sdk/client-ivs-realtime';
import { z } from 'zod';
import type { Config } from '../../config.js';
import type { IvsReadTypes } from '../../ivs/sources.js';
import type { PageModel, ParticipantEventModel, StageModel, StageSessionModel } from '../../model.js';
import type { AnswerTtls } from './answerCache.js';
import { createEntryCodec, revivedDate, type CachedAnswer, type EntryCodec } from './entry.js';
import type { IvsReadOperation } from '../../ivs/operations.js';

/** The five read operations besides GetParticipant. */
export type DiscoveryOperation = Exclude<IvsReadOperation, 'GetParticipant'>;
type Value<O extends IvsReadOperation> = IvsReadTypes[O]['value'];

// Identity and dates are checked and revived; the other fields are IVS's, as the codec wrote them.
const sessionSchema = z.looseObject({
  stageArn: z.string(),
  sessionId: z.string(),
  startTime: revivedDate.optional(),
  endTime: revivedDate.optional(),
});
const pageOf = <T extends z.ZodType>(item: T) =>
  z.looseObject({ items: z.array(item), nextToken: z.string().optional() });

// The casts only re-attach the model type to what the schema checked (as entry.ts does for participants).
/** How each operation's answers are stored: JSON, with `Date` fields revived. */
export const discoveryCodecs: { [O in DiscoveryOperation]: EntryCodec<Value<O>> } = {
  GetStage: createEntryCodec(z.looseObject({ arn: z.string() }) as unknown as z.ZodType<StageModel, unknown>),
  GetStageSession: createEntryCodec(sessionSchema as unknown as z.ZodType<StageSessionModel, unknown>),
  ListStageSessions: createEntryCodec(
    pageOf(sessionSchema) as unknown as z.ZodType<PageModel<StageSessionModel>, unknown>,
  ),
  ListParticipants: createEntryCodec(
    pageOf(z.looseObject({ firstJoinTime: revivedDate.optional() })) as unknown as z.ZodType<
      PageModel<ParticipantSummary>,
      unknown
    >,
  ),
  ListParticipantEvents: createEntryCodec(
    pageOf(z.looseObject({ eventTime: revivedDate.optional() })) as unknown as z.ZodType<
      PageModel<ParticipantEventModel>,
      unknown
    >,
  ),
};

type CacheSettings = Config['upstream']['cache'];

const ttls = <V>(cache: CacheSettings, freshMs: (value: V) => number): AnswerTtls<V> => ({
  freshnessMs: (answer: CachedAnswer<V>) => (answer.kind === 'not_found' ? cache.notFoundTtlMs : freshMs(answer.value)),
  staleMs: cache.staleMs,
});

/**
 * How long each operation's answers stay fresh (the README's cache table):
 * - GetStage: `stageTtlMs` (a stage's name, tags and active session change rarely);
 * - GetStageSession: `settledTtlMs` once the session has ended (it cannot change), else `sessionsTtlMs`;
 * - ListStageSessions pages: `sessionsTtlMs` (a new session shifts every page);
 * - ListParticipants pages: `rosterTtlMs`, briefly (participants join, publish and leave at any moment);
 * - ListParticipantEvents pages: `settledTtlMs` for a page with a next page (histories only grow at the end)
 *   or one that ends with LEFT (nothing happens after), else `eventsTtlMs`.
 * NOT_FOUND answers live `notFoundTtlMs`; every value may be served stale for `staleMs` when IVS cannot answer.
 */
export function discoveryTtls(cache: CacheSettings): { [O in DiscoveryOperation]: AnswerTtls<Value<O>> } {
  const { stageTtlMs, sessionsTtlMs, rosterTtlMs, eventsTtlMs, settledTtlMs } = cache.discovery;
  return {
    GetStage: ttls(cache, () => stageTtlMs),
    GetStageSession: ttls(cache, (session) => (session.endTime === undefined ? sessionsTtlMs : settledTtlMs)),
    ListStageSessions: ttls(cache, () => sessionsTtlMs),
    ListParticipants: ttls(cache, () => rosterTtlMs),
    ListParticipantEvents: ttls(cache, (page) =>
      page.nextToken !== undefined || page.items.at(-1)?.name === 'LEFT' ? settledTtlMs : eventsTtlMs,
    ),
  };
}
