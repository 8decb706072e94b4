import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { z } from 'zod';
import type { IvsErrorDetails } from '../../errors.js';

/** What the cache can answer for one key of one IVS operation. */
export type CachedAnswer<V> =
  | { readonly kind: 'value'; readonly value: V }
  | { readonly kind: 'not_found'; readonly message: string; readonly ivs?: IvsErrorDetails | undefined };

/** A cached answer and its life, in wall-clock ms so that processes sharing one store agree. */
export interface CacheEntry<V> {
  readonly answer: CachedAnswer<V>;
  /** When IVS gave this answer; a revalidation soon after is served from it. */
  readonly fetchedAt: number;
  /** Until then the answer is served as is. */
  readonly freshUntil: number;
  /** Until then it may still be served, flagged stale, when IVS cannot answer. */
  readonly staleUntil: number;
}

/** Turns entries into the text a KeyValueCache stores and back; `decode` returns undefined for anything it did not write. */
export interface EntryCodec<V> {
  encode(this: void, entry: CacheEntry<V>): string;
  decode(this: void, text: string): CacheEntry<V> | undefined;
}

// Bumped whenever the stored shape changes, so a shared store never feeds an old shape to new code.
const formatVersion = 2;

const ivsDetailsSchema = z.object({
  errorType: z.string().optional(),
  httpStatus: z.number().optional(),
  requestId: z.string().optional(),
  retryable: z.boolean(),
});

/**
 * A JSON codec checked by zod: `valueSchema` checks the value's identity and revives its `Date` fields
 * (JSON turns them into ISO 8601 text); everything else comes back as written.
 */
export function createEntryCodec<V>(valueSchema: z.ZodType<V, unknown>): EntryCodec<V> {
  const entrySchema = z.object({
    v: z.literal(formatVersion),
    fetchedAt: z.number(),
    freshUntil: z.number(),
    staleUntil: z.number(),
    answer: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('value'), value: valueSchema }),
      z.object({ kind: z.literal('not_found'), message: z.string(), ivs: ivsDetailsSchema.optional() }),
    ]),
  });
  return {
    encode: (entry) => JSON.stringify({ v: formatVersion, ...entry }),
    decode(text) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return undefined;
      }
      const parsed = entrySchema.safeParse(json);
      if (!parsed.success) return undefined;
      const { v: _version, ...entry } = parsed.data;
      return entry;
    },
  };
}

/**
 * Entries kept as text in a shared store (Redis), where another process (or an older version) may
 * have written the key: each read is decoded and checked, and anything this codec did not write is a miss.
 */
export function codedStore<V>(store: KeyValueCache<string>, codec: EntryCodec<V>): KeyValueCache<CacheEntry<V>> {
  return {
    async get(key) {
      const text = await store.get(key);
      return text === undefined ? undefined : codec.decode(text);
    },
    set: (key, entry, options) => store.set(key, codec.encode(entry), options),
    delete: (key) => store.delete(key),
  };
}
