import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import type { Config } from '../config.js';
import type { GatewayContext } from '../context.js';

type ResponseCacheContext = Pick<GatewayContext, 'principal' | 'cacheMode' | 'lookupStats'>;

/**
 * Apollo's full-response cache, for the hot path: the same query with the same variables, asked by a
 * caller with the same stage grants, is answered without executing it, for `ttlSeconds`. Every response
 * is PRIVATE (keyed by the caller's grants), so no caller ever sees an answer computed for another
 * grant set. Responses with errors or stale participants are not stored; `Cache-Control: no-cache`
 * skips the read (the fresh answer is still stored). Authentication and limits run first on every request.
 */
export function responseCachePlugins({
  ttlSeconds,
  maxBytes,
}: Config['responseCache']): ApolloServerPlugin<ResponseCacheContext>[] {
  if (ttlSeconds === 0) return [ApolloServerPluginCacheControlDisabled()];
  return [
    // No HTTP Cache-Control headers: browsers and CDNs must not keep answers that depend on credentials.
    ApolloServerPluginCacheControl({ defaultMaxAge: ttlSeconds, calculateHttpHeaders: false }),
    {
      async requestDidStart() {
        return {
          async executionDidStart({ overallCachePolicy }) {
            overallCachePolicy.restrict({ scope: 'PRIVATE' });
          },
        };
      },
    },
    responseCachePlugin<ResponseCacheContext>({
      cache: new InMemoryLRUCache({ maxSize: maxBytes }),
      sessionId: async ({ contextValue: { principal } }) =>
        JSON.stringify([principal.id, principal.stages.fingerprint]),
      shouldReadFromCache: async ({ contextValue }) => contextValue.cacheMode === 'use',
      shouldWriteToCache: async ({ contextValue }) => contextValue.lookupStats.staleHits === 0,
    }),
  ];
}
