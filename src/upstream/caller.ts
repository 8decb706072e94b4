import type { RequestDeadline } from './deadline.js';

/**
 * Who a lookup is for, as the quota sees it: the fair queue's unit, its share, its metrics label. Derived
 * from the request's Principal (context.ts callerOf) without its grants; live refreshes have a Caller of their own.
 */
export interface Caller {
  /** Fair-queue identity: the principal id (`api-key:<name>`, `jwt:<sub>`, `anonymous`). */
  readonly id: string;
  /** Bounded metrics label: the API key's name, `jwt` or `anonymous`; never a raw JWT subject. */
  readonly label: string;
  /** Relative share of the quota while callers compete for it; 1 unless the credential says otherwise. */
  readonly weight: number;
  /** Whether this caller's `Cache-Control: no-cache` may ask IVS again; if not, the header is ignored. */
  readonly mayRevalidate: boolean;
}

/**
 * `revalidate`: the request sent `Cache-Control: no-cache` (or `max-age=0`) and the caller may revalidate.
 * `refresh`: a live watcher's paced refresh, which always asks IVS: the pacer already spaces them.
 */
export type CacheMode = 'use' | 'revalidate' | 'refresh';

/** What a lookup needs to know about the GraphQL request it serves. */
export interface LookupRequest {
  readonly caller: Caller;
  readonly cacheMode: CacheMode;
  /** The HTTP request's overall budget (UPSTREAM_REQUEST_DEADLINE_MS); absent for lookups that serve no request. */
  readonly requestDeadline?: RequestDeadline;
}
