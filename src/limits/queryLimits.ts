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
import { ErrorCode, GatewayError } from '../errors.js';
import { costOf } from './requestBudget.js';

/** What the plugin needs of the context: one set per HTTP request, shared by the operations of a batch. */
export interface BudgetContext extends BaseContext {
  /** Distinct participant keys the request's operations asked for so far. */
  readonly participantsAsked: Set<string>;
}

/** The values of `extensions.limit` on a QUERY_TOO_COMPLEX error. */
export type QueryLimit = 'depth' | 'aliases' | 'directives' | 'participants' | 'listCalls';

/**
 * Refuses an operation over any limit before execution (so before any IVS call) with
 * QUERY_TOO_COMPLEX, HTTP 400 and `extensions.limit`. Depth, aliases and directives use
 * graphql-armor's rules; the participant budget counts distinct lookups including `_entities`
 * representations, which arrive in variables and so cannot be a validation rule. The operations of
 * a batch (GRAPHQL_BATCHING) share one participant budget: they share one request and its loader.
 * The token limit sits in the parser (Apollo `parseOptions.maxTokens`) and fails earlier.
 */
export function createQueryLimitsPlugin(limits: Config['limits']): ApolloServerPlugin<BudgetContext> {
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
            throw new GatewayError(ErrorCode.BAD_USER_INPUT, cost.inputProblem, { http: { status: 400 } });
          }
          const asked = contextValue.participantsAsked;
          const keys = cost.participantKeys;
          const total = new Set([...asked, ...keys]).size + cost.rosterLookups;
          if (total > limits.maxParticipants) {
            throw tooComplex(
              asked.size === 0
                ? `This operation can ask for ${total} distinct participants; at most ${limits.maxParticipants} are allowed per request.`
                : `This batch can ask for ${total} distinct participants; at most ${limits.maxParticipants} are allowed per request.`,
              'participants',
            );
          }
          if (cost.listCalls > limits.maxListCalls) {
            throw tooComplex(
              `This operation can cost ${cost.listCalls} list calls (pages of rosters, sessions or events); at most ${limits.maxListCalls} are allowed per request.`,
              'listCalls',
            );
          }
          for (const key of keys) asked.add(key);
        },
      };
    },
  };
}

function tooComplex(message: string, limit: QueryLimit): GatewayError {
  return new GatewayError(ErrorCode.QUERY_TOO_COMPLEX, message, { limit, http: { status: 400 } });
}
