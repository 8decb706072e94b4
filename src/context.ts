import type { IncomingHttpHeaders } from 'node:http';
import type { Principal } from './auth/principal.js';
import { createParticipantLoader, type ParticipantLoader } from './loaders/participantLoader.js';
import type { Caller, CacheMode } from './upstream/caller.js';
import type { ParticipantLookup } from './upstream/fromConfig.js';
import { createLookupStats, type LookupStats } from './upstream/lookupStats.js';

/** What every resolver receives. Built fresh for each GraphQL request. */
export interface GatewayContext {
  loaders: { participant: ParticipantLoader };
  /** Cache hits, upstream calls etc. of this request's lookups; for the operation log line and the stale marker. */
  lookupStats: LookupStats;
  /** Who is asking (src/auth); resolvers check its stage grants before any lookup. */
  principal: Principal;
  /** `revalidate` when the caller sent `Cache-Control: no-cache` and may revalidate: no cached participant or response. */
  cacheMode: CacheMode;
  /** Distinct participants this HTTP request asked for, across a batch's operations (src/limits/queryLimits.ts). */
  participantsAsked: Set<string>;
}

export interface ContextDependencies {
  /** The process-wide upstream layer (see src/upstream/upstreamRead.ts). */
  participants: ParticipantLookup;
}

/** Returns the per-request context factory; fresh loaders mean no data leaks between requests. */
export function createContextFactory(
  deps: ContextDependencies,
): (request: { headers: IncomingHttpHeaders; principal: Principal }) => Promise<GatewayContext> {
  return async (request) => {
    const lookupStats = createLookupStats();
    const caller = callerOf(request.principal);
    const cacheMode = caller.mayRevalidate ? cacheModeOf(request.headers['cache-control']) : 'use';
    return {
      loaders: {
        participant: createParticipantLoader({
          participants: deps.participants,
          request: { caller, cacheMode },
          stats: lookupStats,
        }),
      },
      lookupStats,
      principal: request.principal,
      cacheMode,
      participantsAsked: new Set(),
    };
  };
}

/** The principal as the upstream layer sees it. */
export function callerOf(principal: Principal): Caller {
  return { id: principal.id, label: principal.label, ...principal.share };
}

// The standard request directives for "revalidate with the origin": no-cache, or max-age=0.
function cacheModeOf(cacheControl: string | undefined): CacheMode {
  const directives = (cacheControl ?? '').split(',').map((directive) => directive.trim().toLowerCase());
  return directives.includes('no-cache') || directives.includes('max-age=0') ? 'revalidate' : 'use';
}
