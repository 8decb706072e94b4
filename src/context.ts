import type { IncomingHttpHeaders } from 'node:http';
import type { Principal } from './auth/principal.js';
import { createParticipantLoader, type ParticipantLoader } from './loaders/participantLoader.js';
import { createLookupStats, type LookupStats } from './upstream/lookupStats.js';
import type { CacheMode, ParticipantLookup } from './upstream/participantLookup.js';

/** What every resolver receives. Built fresh for each GraphQL request. */
export interface GatewayContext {
  loaders: { participant: ParticipantLoader };
  /** Cache hits, upstream calls etc. of this request's lookups; for the operation log line and the stale marker. */
  lookupStats: LookupStats;
  /** Who is asking (src/auth); resolvers check its stage grants before any lookup. */
  principal: Principal;
  /** `revalidate` when the caller sent `Cache-Control: no-cache`: no cached participant or response. */
  cacheMode: CacheMode;
}

export interface ContextDependencies {
  /** The process-wide upstream layer (see src/upstream/participantLookup.ts). */
  participants: ParticipantLookup;
}

/** Returns the per-request context factory; fresh loaders mean no data leaks between requests. */
export function createContextFactory(
  deps: ContextDependencies,
): (request: { headers: IncomingHttpHeaders; principal: Principal }) => Promise<GatewayContext> {
  return async (request) => {
    const lookupStats = createLookupStats();
    const lookupRequest = { stats: lookupStats, cacheMode: cacheModeOf(request.headers['cache-control']) };
    return {
      loaders: { participant: createParticipantLoader({ participants: deps.participants, request: lookupRequest }) },
      lookupStats,
      principal: request.principal,
      cacheMode: lookupRequest.cacheMode,
    };
  };
}

/** `revalidate` for the standard request directives "revalidate with the origin": no-cache, or max-age=0. */
export function cacheModeOf(cacheControl: string | undefined): CacheMode {
  const directives = (cacheControl ?? '').split(',').map((directive) => directive.trim().toLowerCase());
  return directives.includes('no-cache') || directives.includes('max-age=0') ? 'revalidate' : 'use';
}
