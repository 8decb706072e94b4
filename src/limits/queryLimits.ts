import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { Kind, type FragmentDefinitionNode } from 'graphql';
import type { Config } from '../config.js';
import { ErrorCode } from '../errors.js';
import { GatewayError, refusalText } from '../graphql/errors.js';
import { createDocumentRules, type DocumentLimit } from './documentRules.js';
import { costOf } from './requestBudget.js';
import type { SpendLimit, SpendLimits } from '../errors.js';
import type { Overspend, RequestSpend } from './requestSpend.js';

/** What the plugin needs of the context: one spend per HTTP request, shared by the operations of a batch. */
export interface BudgetContext extends BaseContext {
  readonly spend: RequestSpend;
}

/** The values of `extensions.limit` on a QUERY_TOO_COMPLEX error. */
export type QueryLimit = DocumentLimit | SpendLimit;

/**
 * Refuses an operation over any limit before execution (so before any IVS call) with
 * QUERY_TOO_COMPLEX, HTTP 400 and `extensions.limit`. Depth, aliases and directives use graphql-armor's
 * rules (documentRules.ts); the upstream budget (participant, stage and session lookups, list calls; see
 * requestBudget.ts) needs the variables (`_entities` representations arrive there) and so cannot be a
 * validation rule. The operations of a batch (GRAPHQL_BATCHING) share one RequestSpend: they share one
 * HTTP request and its loaders.
 * The token limit sits in the parser (Apollo `parseOptions.maxTokens`) and fails earlier.
 */
export function createQueryLimitsPlugin(limits: Config['limits']): ApolloServerPlugin<BudgetContext> {
  const spendLimits: SpendLimits = {
    participants: limits.maxParticipants,
    listCalls: limits.maxListCalls,
    stageLookups: limits.maxStageLookups,
  };
  const firstViolation = createDocumentRules(limits);

  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request, contextValue }) {
          const violation = firstViolation(schema, document);
          if (violation) {
            const limit = violation.extensions['limit'] as QueryLimit;
            throw tooComplex(violation.message, limit);
          }
          const fragments = new Map(
            document.definitions
              .filter(
                (definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION,
              )
              .map((fragment) => [fragment.name.value, fragment]),
          );
          if (!operation) return;
          const cost = costOf(schema, operation, fragments, request.variables);
          if (cost.inputProblem !== undefined) {
            const { message, reason } = cost.inputProblem;
            throw new GatewayError(ErrorCode.BAD_USER_INPUT, message, {
              ...(reason && { reason }),
              http: { status: 400 },
            });
          }
          const overspend = contextValue.spend.charge(cost, spendLimits);
          if (overspend) throw tooComplex(overspendMessage(overspend), overspend.limit);
        },
      };
    },
  };
}

function overspendMessage(overspend: Overspend): string {
  return overspend.shared
    ? refusalText.QUERY_TOO_COMPLEX.batch(overspend)
    : refusalText.QUERY_TOO_COMPLEX.operation(overspend);
}

function tooComplex(message: string, limit: QueryLimit): GatewayError {
  return new GatewayError(ErrorCode.QUERY_TOO_COMPLEX, message, { limit, http: { status: 400 } });
}
