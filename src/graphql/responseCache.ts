import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { LRUCache } from 'lru-cache';
import type { Principal } from '../auth/principal.js';
import type { AuthConfig, Config } from '../config.js';
import type { CacheMode } from '../upstream/caller.js';
import type { OperationRequest } from './operationRequest.js';

/** One answer as sent: the serialized bytes, served again without parsing, validating or executing. */
export interface CachedResponse {
  readonly body: string;
  readonly contentType: string;
  /** Strong validator of `body`, quoted, for `ETag` and `If-None-Match`. */
  readonly etag: string;
  readonly operationName: string | null;
  /** Wall-clock ms. */
  readonly storedAt: number;
  readonly expiresAt: number;
}

/** What Apollo produced for a request that executed, as far as the cache rules need it. */
export interface ExecutedAnswer {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
  /** `query`, `mutation`…; null when the request never got to an operation. */
  readonly operationType: string | null;
  readonly operationName: string | null;
  /** `extensions.code` of every error in the body. */
  readonly errorCodes: readonly string[];
  /** Participants served from an expired entry (`extensions.stale`). */
  readonly staleHits: number;
}

/**
 * The rules of the whole-response cache, in one place: what may be kept (a query answered 200
 * without any error or stale participant), for whom (private to one principal and stage-grant set:
 * no caller ever sees an answer computed for another), for how long (`ttlSeconds`, which config caps
 * by participant freshness), and what browsers and CDNs are told about it.
 */
export interface ResponseCache {
  /**
   * The key of an answer: caller's grant set, document, variables, operation name and `Accept`. `null`
   * when the request must execute and its answer must not be kept: a federation router asking for a
   * trace (`apollo-federation-include-trace`) gets a body with `ftv1` timings for this execution only.
   */
  keyOf(principal: Principal, operation: OperationRequest, headers: IncomingHttpHeaders): string | null;
  /** A live answer, unless the caller asked to revalidate (`Cache-Control: no-cache`). */
  read(key: string, cacheMode: CacheMode): CachedResponse | undefined;
  /** Keeps an answer that may be reused and returns its entry; undefined when it may not be. */
  store(key: string, answer: ExecutedAnswer): CachedResponse | undefined;
  /**
   * Response headers for an answer: for GET, `Cache-Control` (`no-store` for anything not cached),
   * `ETag` and `Vary`; for every method, `Age` when it was served from the cache.
   */
  headersFor(method: string, entry: CachedResponse | undefined, served: 'cache' | 'executed'): Record<string, string>;
  /** Forgets every answer: a stage's state changed (a disconnect) and some answers may show it as it was. */
  clear(): void;
}

export interface ResponseCacheOptions {
  readonly settings: Config['responseCache'];
  /** Decides `public` vs `private` and which credential header the answer varies on. */
  readonly authMode: AuthConfig['mode'];
  /** Wall clock in ms; injected by tests. */
  readonly now?: () => number;
}

// Apollo's inline-trace plugin adds `extensions.ftv1` to the answer of a request carrying it.
const traceRequestHeader = 'apollo-federation-include-trace';

const credentialHeader: Record<AuthConfig['mode'], string | null> = {
  none: null,
  'api-key': 'x-api-key',
  jwt: 'authorization',
};

export function createResponseCache({ settings, authMode, now = Date.now }: ResponseCacheOptions): ResponseCache {
  const { ttlSeconds, maxBytes } = settings;
  const entries = new LRUCache<string, CachedResponse>({
    maxSize: maxBytes,
    sizeCalculation: (entry, key) => entry.body.length + key.length + 200,
  });
  const scope = authMode === 'none' ? 'public' : 'private';
  const vary = ['accept', ...(credentialHeader[authMode] ? [credentialHeader[authMode]] : [])].join(', ');

  return {
    keyOf(principal, operation, headers) {
      if (headers[traceRequestHeader] !== undefined) return null;
      // JSON, not a join: no value can make two different requests print the same key.
      return JSON.stringify([
        principal.id,
        principal.stages.fingerprint,
        operation.documentHash,
        operation.operationName,
        operation.variablesJson,
        // Apollo picks the response media type from Accept.
        headers.accept ?? null,
      ]);
    },

    read(key, cacheMode) {
      if (cacheMode !== 'use') return undefined;
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (now() < entry.expiresAt) return entry;
      entries.delete(key);
      return undefined;
    },

    store(key, answer) {
      if (ttlSeconds === 0 || !reusable(answer)) return undefined;
      const storedAt = now();
      const entry: CachedResponse = {
        body: answer.body,
        contentType: answer.contentType,
        etag: `"${createHash('sha256').update(answer.body).digest('base64url')}"`,
        operationName: answer.operationName,
        storedAt,
        expiresAt: storedAt + ttlSeconds * 1000,
      };
      entries.set(key, entry);
      return entry;
    },

    clear: () => entries.clear(),

    headersFor(method, entry, served) {
      const age: Record<string, string> =
        entry && served === 'cache' ? { age: String(Math.floor((now() - entry.storedAt) / 1000)) } : {};
      // POST answers are not cacheable by HTTP caches anyway; they keep the headers they always had.
      if (method !== 'GET') return age;
      if (entry === undefined) return { 'cache-control': 'no-store' };
      // max-age with Age: an HTTP cache keeps the answer for what is left of ttlSeconds, not longer.
      return { ...age, 'cache-control': `${scope}, max-age=${ttlSeconds}`, etag: entry.etag, vary };
    },
  };
}

/** Only complete, error-free, fresh query answers are reused. */
function reusable(answer: ExecutedAnswer): boolean {
  return (
    answer.status === 200 &&
    answer.operationType === 'query' &&
    answer.errorCodes.length === 0 &&
    answer.staleHits === 0
  );
}

/** True when `If-None-Match` names this entity tag (or `*`); weak comparison, as RFC 9110 asks for GET. */
export function matchesEntityTag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}
