import type { ApolloServerPlugin } from '@apollo/server';
import type { LookupStats } from '../upstream/lookupStats.js';

/**
 * Adds `extensions.stale: true` to a response when any participant in it was served from an
 * expired cache entry because IVS could not answer (UPSTREAM_SERVE_STALE). Response-level, because
 * one loaded participant can back several fields and aliases.
 */
export function staleResponsePlugin(): ApolloServerPlugin<{ lookupStats: LookupStats }> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          if (contextValue.lookupStats.staleHits === 0 || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, stale: true };
        },
      };
    },
  };
}
