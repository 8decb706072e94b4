import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, validate, type DocumentNode, type GraphQLSchema, type ValidationContext } from 'graphql';
import type { Config } from '../config.js';

/** The document limits graphql-armor checks: the values of `extensions.limit` it reports. */
export type DocumentLimit = 'depth' | 'aliases' | 'directives';

/** The first armor rule a document breaks (its `extensions.limit` names which), or null. */
export type DocumentRules = (schema: GraphQLSchema, document: DocumentNode) => GraphQLError | null;

/**
 * graphql-armor's depth, alias and directive rules as LIMIT_QUERY_DEPTH, LIMIT_ALIASES and LIMIT_DIRECTIVES set
 * them, for queries over HTTP and subscriptions over the socket and SSE alike. Tokens are the parser's own
 * limit (`maxTokens`), so armor's token rule is off.
 */
export function createDocumentRules(limits: Config['limits']): DocumentRules {
  const report =
    (limit: DocumentLimit) =>
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
    maxTokens: { enabled: false },
    // Cost: the request budget (requestBudget.ts) is the cost that matters here.
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  }).protect();

  // Apollo hands out the same DocumentNode for the same query text (its document cache), and the rules
  // depend on the document alone: validate each document once, not on every request.
  const verdicts = new WeakMap<DocumentNode, GraphQLError | null>();
  return (schema, document) => {
    let verdict = verdicts.get(document);
    if (verdict === undefined) {
      verdict = validate(schema, document, validationRules)[0] ?? null;
      verdicts.set(document, verdict);
    }
    return verdict;
  };
}
