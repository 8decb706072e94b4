import { ApolloServerErrorCode } from '@apollo/server/errors';
import { GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';

/** Parses and validates a subscription's text once; the same text gets the very same DocumentNode. */
export type DocumentStore = (text: string) => DocumentNode | GraphQLError[];

export interface DocumentStoreOptions {
  readonly schema: GraphQLSchema;
  /** LIMIT_TOKENS: the parser stops past it. */
  readonly maxTokens: number;
  /** Distinct valid texts kept; past it, the one used longest ago goes. */
  readonly maxEntries: number;
}

/**
 * 10,000 browsers of one app send the same few subscription texts: a parsed document is about 14 KB, so each
 * subscription holding its own copy cost more than the rest of it. Like Apollo's document store for queries,
 * valid documents are kept by text (bounded); refusals are not kept, so a flood of bad texts evicts nothing.
 */
export function createDocumentStore({ schema, maxTokens, maxEntries }: DocumentStoreOptions): DocumentStore {
  const documents = new LRUCache<string, DocumentNode>({ max: maxEntries });
  return (text) => {
    const stored = documents.get(text);
    if (stored !== undefined) return stored;
    let document: DocumentNode;
    try {
      document = parse(text, { maxTokens });
    } catch (error) {
      const message = error instanceof GraphQLError ? error.message : 'Syntax error';
      return [new GraphQLError(message, { extensions: { code: ApolloServerErrorCode.GRAPHQL_PARSE_FAILED } })];
    }
    const invalid = validate(schema, document);
    if (invalid.length > 0) {
      return invalid.map(
        (error) =>
          new GraphQLError(error.message, {
            nodes: error.nodes,
            extensions: { code: ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED },
          }),
      );
    }
    documents.set(text, document);
    return document;
  };
}
