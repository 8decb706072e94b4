import { z } from 'zod';
import type { IvsErrorDetails } from '../errors.js';
import type { ParticipantModel } from '../model.js';

/** What the cache can answer for one participant key. */
export type CachedAnswer =
  | { readonly kind: 'participant'; readonly participant: ParticipantModel }
  | { readonly kind: 'not_found'; readonly message: string; readonly ivs?: IvsErrorDetails | undefined };

/** A cached answer and its life, in wall-clock ms so that processes sharing one store agree. */
export interface CacheEntry {
  readonly answer: CachedAnswer;
  readonly storedAt: number;
  /** Until then the answer is served as is. */
  readonly freshUntil: number;
  /** Until then it may still be served, flagged stale, when IVS cannot answer. */
  readonly staleUntil: number;
}

// Bumped whenever the stored shape changes, so a shared store never feeds an old shape to new code.
const formatVersion = 1;

// Identity and dates are checked and revived; the other fields are IVS's, written by encodeCacheEntry.
const participantSchema = z.looseObject({
  stageArn: z.string(),
  sessionId: z.string(),
  participantId: z.string(),
  firstJoinTime: z.iso
    .datetime()
    .transform((text) => new Date(text))
    .optional(),
});

const entrySchema = z.object({
  v: z.literal(formatVersion),
  storedAt: z.number(),
  freshUntil: z.number(),
  staleUntil: z.number(),
  answer: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('participant'), participant: participantSchema }),
    z.object({
      kind: z.literal('not_found'),
      message: z.string(),
      ivs: z
        .object({
          errorType: z.string().optional(),
          httpStatus: z.number().optional(),
          requestId: z.string().optional(),
          retryable: z.boolean(),
        })
        .optional(),
    }),
  ]),
});

/** The string a KeyValueCache stores; `Date` fields become ISO 8601 text. */
export function encodeCacheEntry(entry: CacheEntry): string {
  return JSON.stringify({ v: formatVersion, ...entry });
}

/** The entry back, with `Date` fields revived; undefined for anything this version did not write. */
export function decodeCacheEntry(text: string): CacheEntry | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = entrySchema.safeParse(json);
  if (!parsed.success) return undefined;
  const { v: _version, answer, ...times } = parsed.data;
  if (answer.kind === 'not_found') return { ...times, answer };
  // The schema checked identity and dates; the other fields are the SDK's Participant as encodeCacheEntry wrote it.
  return { ...times, answer: { kind: 'participant', participant: answer.participant } };
}
