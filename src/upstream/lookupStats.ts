/**
 * What one GraphQL request's participant lookups cost upstream. Created per request in the
 * context (`context.lookupStats`), filled in by the upstream layer, read by the per-operation
 * log line and by the stale marker.
 */
export interface LookupStats {
  /** Participant lookups that reached the upstream layer (after the per-request DataLoader). */
  lookups: number;
  /** Lookups answered by a fresh cache entry: a participant or a cached NOT_FOUND. */
  cacheHits: number;
  /** Lookups answered by an expired entry because IVS could not answer; the response says `stale: true`. */
  staleHits: number;
  /** Lookups that joined a call another lookup (of any request) already had in flight. */
  coalesced: number;
  /** GetParticipant calls this request started, retries included. */
  upstreamCalls: number;
  /** Lookups that failed THROTTLED, by the gateway's own quota limiter or by IVS. */
  throttled: number;
}

export function createLookupStats(): LookupStats {
  return { lookups: 0, cacheHits: 0, staleHits: 0, coalesced: 0, upstreamCalls: 0, throttled: 0 };
}
