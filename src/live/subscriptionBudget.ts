import {
  Kind,
  OperationTypeNode,
  type ArgumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
} from 'graphql';
import { listConstraints } from '../ivs/constraints.js';
import { costOf, type RequestCost } from '../limits/requestBudget.js';

/**
 * What a subscription costs per update, counted like a query by the request budget: `participantChanged`
 * selects what `participant` would, `rosterChanged` what a full roster page (the largest `first`) would, once for
 * each of `joined`, `changed` and `left`. So a roster subscription that selects a detail field (a lookup
 * per participant per update) is over LIMIT_PARTICIPANTS_PER_REQUEST like the equivalent query.
 */
export function subscriptionCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Readonly<Record<string, unknown>> | undefined,
): RequestCost {
  const selections = operation.selectionSet.selections.flatMap(asQueryField);
  const query: OperationDefinitionNode = {
    ...operation,
    operation: OperationTypeNode.QUERY,
    selectionSet: { kind: Kind.SELECTION_SET, selections },
  };
  return costOf(schema, query, fragments, variables);
}

function asQueryField(selection: SelectionNode): FieldNode[] {
  if (selection.kind !== Kind.FIELD) return [];
  if (selection.name.value === 'participantChanged') return [{ ...selection, name: name('participant') }];
  if (selection.name.value !== 'rosterChanged') return [];
  const args = selection.arguments ?? [];
  const sessionArgs = args.filter((arg) => arg.name.value !== 'filter');
  const filter = args.filter((arg) => arg.name.value === 'filter');
  const nodes: FieldNode[] = (selection.selectionSet?.selections ?? []).flatMap((below) =>
    below.kind === Kind.FIELD && below.selectionSet !== undefined
      ? [{ kind: Kind.FIELD, alias: name(below.name.value), name: name('nodes'), selectionSet: below.selectionSet }]
      : [],
  );
  const first: ArgumentNode = {
    kind: Kind.ARGUMENT,
    name: name('first'),
    value: { kind: Kind.INT, value: String(listConstraints.maxResults.max) },
  };
  const participants: FieldNode = {
    kind: Kind.FIELD,
    name: name('participants'),
    arguments: [first, ...filter],
    selectionSet: { kind: Kind.SELECTION_SET, selections: nodes },
  };
  return [
    {
      kind: Kind.FIELD,
      name: name('stageSession'),
      arguments: sessionArgs,
      selectionSet: { kind: Kind.SELECTION_SET, selections: [participants] },
    },
  ];
}

function name(value: string) {
  return { kind: Kind.NAME, value } as const;
}
