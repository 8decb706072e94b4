import {
  getOperationAST,
  GraphQLError,
  Kind,
  OperationTypeNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { Principal } from '../auth/principal.js';
import type { Config } from '../config.js';
import { ErrorCode } from '../errors.js';
import { GatewayError, refusalText } from '../graphql/errors.js';
import { createDocumentRules } from '../limits/documentRules.js';
import { createDocumentStore } from './documentStore.js';
import type { SubscriptionContext } from './execution.js';
import { subscriptionCost } from './subscriptionBudget.js';

// Distinct subscription texts kept parsed: at about 14 KB each, 14 MB at most.
const maxStoredDocuments = 1000;

/** What a transport receives from a client: the GraphQL-over-HTTP request parameters. */
export interface OperationParams {
  readonly query?: unknown;
  readonly variables?: unknown;
  readonly operationName?: unknown;
}

export interface LiveOperationDependencies {
  readonly schema: GraphQLSchema;
  readonly limits: Config['limits'];
  /** Apollo's formatError: the one place errors get their client words and codes. */
  readonly formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}

/** What the live transports share: checking a subscription before it runs, and formatting what it sends. */
export interface LiveOperations {
  /** The execution arguments, or the errors that refuse the operation (unformatted: each transport formats them). */
  prepare(principal: Principal, params: OperationParams): Promise<ExecutionArgs | GraphQLError[]>;
  formatErrors(errors: readonly (GraphQLError | GraphQLFormattedError)[]): GraphQLFormattedError[];
  formatResult(result: ExecutionResult): FormattedExecutionResult;
}

/**
 * Subscriptions only (queries and mutations go over HTTP, where the response cache and batching live),
 * parsed within LIMIT_TOKENS, validated against the schema, held to graphql-armor's depth, alias and directive
 * rules and to the request budget like a query (src/live/subscriptionBudget.ts), all before anything is watched.
 */
export function createLiveOperations(deps: LiveOperationDependencies): LiveOperations {
  const { schema, limits } = deps;
  const documentRules = createDocumentRules(limits);
  const documents = createDocumentStore({ schema, maxTokens: limits.maxTokens, maxEntries: maxStoredDocuments });
  // Errors a transport already formatted (a refusal sent as a result) pass as they are.
  const formatErrors = (errors: readonly (GraphQLError | GraphQLFormattedError)[]) =>
    errors.map((error) => (error instanceof GraphQLError ? deps.formatError(error.toJSON(), error) : error));
  const refuse = (code: string, message: string, extensions: Record<string, unknown> = {}) => [
    new GraphQLError(message, { extensions: { ...extensions, code } }),
  ];

  return {
    async prepare(principal, params) {
      if (typeof params.query !== 'string') return refuse(ErrorCode.BAD_REQUEST, refusalText.BAD_REQUEST.noQueryText);
      const variables = params.variables ?? undefined;
      if (
        variables !== undefined &&
        (typeof variables !== 'object' || variables === null || Array.isArray(variables))
      ) {
        return refuse(ErrorCode.BAD_REQUEST, refusalText.BAD_REQUEST.variablesNotObject);
      }
      const document = documents(params.query);
      if (Array.isArray(document)) return document;
      const violation = documentRules(schema, document);
      if (violation !== null) {
        return [
          new GatewayError(ErrorCode.QUERY_TOO_COMPLEX, violation.message, { limit: violation.extensions['limit'] }),
        ];
      }
      const operationName = typeof params.operationName === 'string' ? params.operationName : undefined;
      const operation = getOperationAST(document, operationName);
      if (!operation) return refuse(ErrorCode.BAD_REQUEST, refusalText.BAD_REQUEST.noSingleOperation);
      if (operation.operation !== OperationTypeNode.SUBSCRIPTION) {
        return refuse(ErrorCode.BAD_REQUEST, refusalText.BAD_REQUEST.queryOverLive);
      }
      const fragments = new Map(
        document.definitions
          .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
          .map((fragment) => [fragment.name.value, fragment]),
      );
      const variableValues = variables as Record<string, unknown> | undefined;
      const cost = subscriptionCost(schema, operation, fragments, variableValues);
      if (cost.inputProblem !== undefined) {
        const { message, reason } = cost.inputProblem;
        return refuse(ErrorCode.BAD_USER_INPUT, message, reason ? { reason } : {});
      }
      const participants = cost.participantKeys.size + cost.rosterLookups;
      if (participants > limits.maxParticipants) {
        return [
          new GatewayError(
            ErrorCode.QUERY_TOO_COMPLEX,
            refusalText.QUERY_TOO_COMPLEX.subscriptionUpdate({
              limit: 'participants',
              total: participants,
              max: limits.maxParticipants,
            }),
            { limit: 'participants' },
          ),
        ];
      }
      if (cost.listCalls > limits.maxListCalls) {
        return [
          new GatewayError(
            ErrorCode.QUERY_TOO_COMPLEX,
            refusalText.QUERY_TOO_COMPLEX.subscriptionUpdate({
              limit: 'listCalls',
              total: cost.listCalls,
              max: limits.maxListCalls,
            }),
            { limit: 'listCalls' },
          ),
        ];
      }
      const contextValue: SubscriptionContext = { principal };
      return { schema, document, variableValues, operationName, contextValue };
    },
    formatErrors,
    formatResult(result) {
      if (result.errors === undefined) return result;
      return { ...result, errors: formatErrors(result.errors) };
    },
  };
}
