import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  GraphQLError,
  Kind,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type ValidationContext,
} from 'graphql';
import type { Config } from '../config.js';
import { ErrorCode } from '../errors.js';
import { GatewayError, refusalText } from '../graphql/errors.js';
import { costOf } from './requestBudget.js';
import type { Overspend, RequestSpend, SpendLimit, SpendLimits } from './requestSpend.js';

/** What the plugin needs of the context: one spend per HTTP request, shared by the operations of a batch. */
export interface BudgetContext extends BaseContext {
  readonly spend: RequestSpend;
}

/** The values of `extensions.limit` on a QUERY_TOO_COMPLEX error. */
export type QueryLimit = 'depth' | 'aliases' | 'directives' | SpendLimit;

/**
 * Refuses an operation over any limit before execution (so before any IVS call) with
 * QUERY_TOO_COMPLEX, HTTP 400 and `extensions.limit`. Depth, aliases and directives use
 * graphql-armor's rules; the upstream budget (participant, stage and session lookups, list calls; see
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
  const report =
    (limit: QueryLimit) =>
    (context: ValidationContext | null, error: GraphQLError): void =>
      context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { limit } }));
  const { validationRules } = new ApolloArmor({
    maxDepth: {
      n: limits.maxDepth,
      ignoreIntrospection: true,
      flattenFragments: true,
      onReject: [report('depth')],
      propagateOnRejection: false,
    },
    // Every alias counts, `__typename` ones included (armor exempts those by default).
    maxAliases: { n: limits.maxAliases, allowList: [], onReject: [report('aliases')], propagateOnRejection: false },
    maxDirectives: { n: limits.maxDirectives, onReject: [report('directives')], propagateOnRejection: false },
    // Tokens: the parser's own limit. Cost: the participant budget below is the cost that matters here.
    maxTokens: { enabled: false },
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  }).protect();

  // Apollo hands out the same DocumentNode for the same query text (its document cache), and the rules
  // depend on the document alone: validate each document once, not on every request.
  const verdicts = new WeakMap<DocumentNode, GraphQLError | null>();
  const firstViolation = (schema: GraphQLSchema, document: DocumentNode): GraphQLError | null => {
    let verdict = verdicts.get(document);
    if (verdict === undefined) {
      verdict = validate(schema, document, validationRules)[0] ?? null;
      verdicts.set(document, verdict);
    }
    return verdict;
  };

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
