import type { IncomingHttpHeaders } from 'node:http';
import type { Principal } from './auth/principal.js';
import type DataLoader from 'dataloader';
import { perReadOperation, readOperation, type IvsReadTypes } from './ivs/operations/index.js';
import { createRequestSpend, type RequestSpend } from './limits/requestSpend.js';
import type { LiveFeeds } from './live/watchers.js';
import { createReadLoader } from './loaders/readLoader.js';
import type { CursorCodec } from './resolvers/cursor.js';
import type { Caller, CacheMode } from './upstream/caller.js';
import type { UpstreamReads } from './upstream/index.js';
import type { IvsReadOperation } from './ivs/operations/index.js';
import { startRequestDeadline } from './upstream/deadline.js';
import { createLookupStats, type LookupStats } from './upstream/lookupStats.js';
import type { ServedStages } from './validation.js';
import type { Moderation } from './tokens/moderation.js';

/** One per-request DataLoader per IVS read operation, named after the operation. */
export type Loaders = {
  readonly [O in IvsReadOperation]: DataLoader<IvsReadTypes[O]['key'], IvsReadTypes[O]['value'], string>;
};

/** What every resolver receives. Built fresh for each GraphQL request. */
export interface GatewayContext {
  loaders: Loaders;
  /** Cache hits, upstream calls etc. of this request's lookups; for the operation log line and the stale marker. */
  lookupStats: LookupStats;
  /** Who is asking (src/auth); resolvers check its stage grants before any lookup. */
  principal: Principal;
  /** `revalidate` when the caller sent `Cache-Control: no-cache` and may revalidate: no cached participant or response. */
  cacheMode: CacheMode;
  /** What this HTTP request may still spend upstream, shared by a batch's operations (src/limits/requestSpend.ts). */
  spend: RequestSpend;
  /** The region (and account) of the gateway's IVS client: a key for another stage is refused unasked. */
  servedStages: ServedStages;
  /** Signs and checks connection cursors with the fleet's GRAPHQL_CURSOR_SECRET. */
  cursors: CursorCodec;
  /** Subscriptions only (src/live/): where their updates come from. */
  live?: LiveFeeds;
  /** The mutations' service: minting and disconnecting (src/tokens/moderation.ts). */
  moderation: Moderation;
}

export interface ContextDependencies {
  /** The process-wide upstream layer, one read per IVS operation (see src/upstream/read.ts). */
  reads: UpstreamReads;
  servedStages: ServedStages;
  cursors: CursorCodec;
  moderation: Moderation;
}

/** What the factory needs of one request. */
export interface ContextRequest {
  headers: IncomingHttpHeaders;
  principal: Principal;
  /**
   * UPSTREAM_REQUEST_DEADLINE_MS for an HTTP request: what all its lookups may take together, chained or not, from now.
   * Absent for a context that outlives one request (a subscription): each lookup has only its own deadline.
   */
  requestDeadlineMs?: number;
}

/** Returns the per-request context factory; fresh loaders mean no data leaks between requests. */
export function createContextFactory(deps: ContextDependencies): (request: ContextRequest) => Promise<GatewayContext> {
  return async (request) => {
    const lookupStats = createLookupStats();
    const caller = callerOf(request.principal);
    const cacheMode = cacheModeFor(request.principal, request.headers['cache-control']);
    const readRequest = {
      caller,
      cacheMode,
      ...(request.requestDeadlineMs !== undefined && {
        requestDeadline: startRequestDeadline(request.requestDeadlineMs),
      }),
    };
    const loader = <O extends IvsReadOperation>(operation: O) =>
      createReadLoader<IvsReadTypes[O]['key'], IvsReadTypes[O]['value']>({
        read: deps.reads[operation],
        keyText: readOperation(operation).keyText,
        request: readRequest,
        stats: lookupStats,
      });
    return {
      loaders: perReadOperation<Loaders>(loader),
      lookupStats,
      principal: request.principal,
      cacheMode,
      spend: createRequestSpend(),
      servedStages: deps.servedStages,
      cursors: deps.cursors,
      moderation: deps.moderation,
    };
  };
}

/** The principal as the quota sees it: its ids and quota share, without its grants. */
export function callerOf(principal: Principal): Caller {
  return { id: principal.id, label: principal.label, ...principal.share };
}

/** Whether this request may use cached answers: `revalidate` for a caller allowed to ask for it. */
export function cacheModeFor(principal: Principal, cacheControl: string | undefined): CacheMode {
  return principal.share.mayRevalidate ? cacheModeOf(cacheControl) : 'use';
}

// The standard request directives for "revalidate with the origin": no-cache, or max-age=0.
function cacheModeOf(cacheControl: string | undefined): CacheMode {
  const directives = (cacheControl ?? '').split(',').map((directive) => directive.trim().toLowerCase());
  return directives.includes('no-cache') || directives.includes('max-age=0') ? 'revalidate' : 'use';
}
