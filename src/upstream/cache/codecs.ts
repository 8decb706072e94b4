import type { Config } from '../../config.js';
import { GetParticipant } from '../../ivs/operations/getParticipant.js';
import type { ReadOperation } from '../../ivs/operations/operation.js';
import type { AnswerTtls } from './answerCache.js';
import { createEntryCodec, type EntryCodec } from './entry.js';

/** The settings every read's answers share: NOT_FOUND freshness, and how long past freshness a value may be served stale. */
interface SharedTtls {
  readonly notFoundTtlMs: number;
  readonly staleMs: number;
}

/** How a read operation's answers are stored: JSON checked by its descriptor's value schema, `Date` fields revived. */
export function readCodec<K, V>(operation: ReadOperation<K, V>): EntryCodec<V> {
  return createEntryCodec(operation.valueSchema);
}

/**
 * How long a read operation's answers live (the README's cache table): values as its descriptor says,
 * NOT_FOUND answers `notFoundTtlMs`; every value may be served stale for `staleMs` when IVS cannot answer.
 */
export function readTtls<V, S extends SharedTtls>(freshMs: (value: V, cache: S) => number, cache: S): AnswerTtls<V> {
  return {
    freshnessMs: (answer) => (answer.kind === 'not_found' ? cache.notFoundTtlMs : freshMs(answer.value, cache)),
    staleMs: cache.staleMs,
  };
}

/** GetParticipant's answers: CONNECTED participants may change at any moment, DISCONNECTED ones hardly. */
export const participantTtls = (cache: Omit<Config['upstream']['cache'], 'stageReads'>) =>
  readTtls(GetParticipant.freshMs, cache);

export const participantEntryCodec = readCodec(GetParticipant);
