import type { ApolloServerPlugin } from '@apollo/server';
import type { LookupStats } from '../upstream/lookupStats.js';
import type { GatewayMetrics } from './metrics.js';

/** What the per-request log line learns about one /graphql request, filled in as it goes. */
export interface OperationRecord {
  name: string | null;
  /** `query`, `mutation`, `subscription`; null when the request never got that far. */
  type: string | null;
  /** `extensions.code` of every error sent, in order, including HTTP-level refusals. */
  errorCodes: string[];
  /** The request's upstream cost, once its GraphQL context exists. */
  lookupStats: LookupStats | null;
  /** Answered from the full-response cache, without executing (src/graphql/responseCache.ts). */
  responseCacheHit: boolean;
  /** Why authentication failed, for operators (e.g. `invalid: token rejected (ERR_JWT_EXPIRED)`); never sent to the client. */
  authFailure: string | null;
}

export function createOperationRecord(): OperationRecord {
  return { name: null, type: null, errorCodes: [], lookupStats: null, responseCacheHit: false, authFailure: null };
}

/**
 * Apollo plugin: records the operation's name, type and error codes (as sent, after masking) and
 * observes its duration by outcome. The record travels in the context, which Apollo copies
 * shallowly per operation, so writes to it reach the HTTP layer's log line.
 */
export function operationRecordPlugin(metrics: GatewayMetrics): ApolloServerPlugin<{ operation: OperationRecord }> {
  return {
    async requestDidStart({ contextValue }) {
      const record = contextValue.operation;
      const started = performance.now();
      return {
        async didResolveOperation({ operationName, operation }) {
          record.name = operationName;
          record.type = operation?.operation ?? null;
        },
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const codes = (errors ?? []).map((error) => {
            const code = error.extensions?.['code'];
            return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
          });
          record.errorCodes.push(...codes);
          const seconds = (performance.now() - started) / 1000;
          metrics.graphqlOperation({ type: record.type ?? 'unknown', outcome: codes[0] ?? 'ok' }, seconds);
        },
      };
    },
  };
}
