import type { ErrorCode } from '../errors.js';
import type { LookupReport } from './read.js';

/**
 * What one GraphQL request's lookups cost upstream. Created per request in the context
 * (`context.lookupStats`), added up by the request's loaders from what each lookup reports,
 * read by the per-operation log line and by the stale marker.
 */
export interface LookupStats {
  /** Lookups that reached the upstream layer (after the per-request DataLoader). */
  lookups: number;
  /** Lookups answered by a fresh cache entry: a value or a cached NOT_FOUND. */
  cacheHits: number;
  /** Lookups answered by an expired entry because IVS could not answer; the response says `stale: true`. */
  staleHits: number;
  /** Lookups that joined a flight: a call another lookup (of any request) already had in flight. */
  joined: number;
  /** IVS calls this request started, retries included. */
  upstreamCalls: number;
  /** Lookups that failed THROTTLED, by the gateway's own quota limiter or by IVS. */
  throttled: number;
}

export function createLookupStats(): LookupStats {
  return { lookups: 0, cacheHits: 0, staleHits: 0, joined: 0, upstreamCalls: 0, throttled: 0 };
}

/** Adds one lookup's report (and its failure code, if it failed) to the request's stats. */
export function recordLookup(stats: LookupStats, report: LookupReport, failure?: ErrorCode): void {
  stats.lookups += 1;
  stats.upstreamCalls += report.upstreamCalls;
  if (report.served === 'cache') stats.cacheHits += 1;
  if (report.served === 'stale') stats.staleHits += 1;
  if (report.served === 'joined') stats.joined += 1;
  if (failure === 'THROTTLED') stats.throttled += 1;
}
