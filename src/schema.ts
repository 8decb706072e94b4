import { readdirSync, readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { resolvers } from './resolvers/index.js';

// Codegen's typed resolvers are narrower than @apollo/subgraph's untyped resolver map.
type SubgraphResolvers = Extract<Parameters<typeof buildSubgraphSchema>[0], { resolvers?: unknown }>['resolvers'];

// schema/ sits beside src/ (and beside dist/ after a build): the SDL files are the source of truth.
const schemaDirectory = new URL('../schema/', import.meta.url);

/** The SDL of this subgraph, as written in schema/*.graphql. */
export function loadTypeDefs(): DocumentNode {
  const files = readdirSync(schemaDirectory)
    .filter((name) => name.endsWith('.graphql'))
    .sort();
  return parse(files.map((name) => readFileSync(new URL(name, schemaDirectory), 'utf8')).join('\n'));
}

/** The executable Federation 2 subgraph schema. */
export function buildSchema(): GraphQLSchema {
  return buildSubgraphSchema({ typeDefs: loadTypeDefs(), resolvers: resolvers as SubgraphResolvers });
}
