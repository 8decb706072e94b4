import type { IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';
import { z } from 'zod';
import type { Logger } from '../../logger.js';

/** The answer-cache settings a read's freshness is chosen from (UPSTREAM_CACHE_*; config.upstream.cache). */
export interface CacheSettings {
  readonly connectedTtlMs: number;
  readonly disconnectedTtlMs: number;
  readonly stageReads: {
    readonly stageTtlMs: number;
    readonly sessionsTtlMs: number;
    readonly rosterTtlMs: number;
    readonly eventsTtlMs: number;
    readonly settledTtlMs: number;
  };
}

/** One IVS call over one region's client, with the caller's abort signal; rejects only with LookupError. */
export type IvsCall<I, V> = (input: I, signal: AbortSignal) => Promise<V>;

/**
 * An IVS read operation, described once: the upstream layer, the loaders, the cache codec and freshness,
 * the quota domains, tracing and the request budget are derived from it (src/ivs/operations/index.ts lists them).
 */
export interface ReadOperation<K, V> {
  readonly name: string;
  /** The key's one text spelling: the request's loader key and the upstream cache and flight key. */
  readonly keyText: (key: K) => string;
  /** The stage the key is about: its ARN's region picks the IVS client and the quota domain. */
  readonly stageArnOf: (key: K) => string;
  /** The SDK call over one region's client. */
  readonly call: (client: IVSRealTimeClient, logger: Logger) => IvsCall<K, V>;
  /** Checks a cached value's identity and revives its `Date` fields (JSON writes them as text); other fields pass as written. */
  readonly valueSchema: z.ZodType<V, unknown>;
  /** How long a value stays fresh; every read's NOT_FOUND answers live UPSTREAM_CACHE_NOT_FOUND_TTL_MS instead. */
  readonly freshMs: (value: V, cache: CacheSettings) => number;
  /** Whether a participant's change can make its answers wrong: then its stage's cache generation is part of the key. */
  readonly generational: boolean;
  /** The GraphQL connection field (`Type.field`) each of whose pages costs one call of the request budget; list reads only. */
  readonly connectionField?: string;
}

/** An IVS write operation: no cache, no flight, no retry; its own quota and breaker per region. */
export interface WriteOperation<I, V> {
  readonly name: string;
  /** The stage the input is about: its ARN's region picks the IVS client and the quota domain. */
  readonly stageArnOf: (input: I) => string;
  readonly call: (client: IVSRealTimeClient, logger: Logger) => IvsCall<I, V>;
  /** AWS's rate per account and region (the reads share UPSTREAM_QUOTA_TPS instead). */
  readonly quotaTps: number;
}

/** Names the model a value schema checks (the schema checks identity and dates; other fields pass as written). */
export const valueSchemaOf = <V>(schema: z.ZodType<V, unknown>): z.ZodType<V, unknown> => schema;

/** A date that JSON wrote as ISO 8601 text, revived. */
export const revivedDate = z.iso.datetime().transform((text) => new Date(text));

/** A page of a list operation as the cache stores it: the items' schema, and the token of the next page. */
export const pageSchemaOf = <T extends z.ZodType>(item: T) =>
  z.looseObject({ items: z.array(item), nextToken: z.string().optional() });
