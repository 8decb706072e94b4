import {
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  OperationTypeNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values.js';
import { participantDetailFields, participantKeyText } from '../model.js';
import { parseGlobalId } from '../resolvers/globalId.js';

/** What an operation can cost upstream at most, counted before it runs. */
export interface RequestCost {
  /** Distinct participants asked for by key: root `participant` fields, `_entities` representations, participant `node` IDs. */
  readonly participantKeys: ReadonlySet<string>;
  /** Lookups roster pages can cause: `first` for every page (times the pages that can reach it) selecting a detail field. */
  readonly rosterLookups: number;
  /** List calls (roster, session and event pages): one per connection field, times the items above it. */
  readonly listCalls: number;
  /** Input IVS would refuse (two roster filters, `first` outside 1-100): refused before any call. */
  readonly inputProblem?: string | undefined;
}

const detailFields = new Set<string>(participantDetailFields);
// Connections by parent type and field; each page of one costs one list call.
const connections: Readonly<Record<string, string>> = {
  'Stage.sessions': 'ListStageSessions',
  'StageSession.participants': 'ListParticipants',
  'Participant.events': 'ListParticipantEvents',
};

/**
 * Walks the operation with the schema's types, following fragments, with the number of times each
 * selection can run (a connection multiplies what is below it by its `first`). Arguments are read from
 * literals, variables and the SDL's defaults, as execution will read them.
 */
export function costOf(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Readonly<Record<string, unknown>> | undefined,
): RequestCost {
  const participantKeys = new Set<string>();
  let rosterLookups = 0;
  let listCalls = 0;
  let inputProblem: string | undefined;
  const query = schema.getQueryType();
  if (operation.operation !== OperationTypeNode.QUERY || !query) {
    return { participantKeys, rosterLookups: 0, listCalls: 0 };
  }

  /** `roster` is set inside a roster page's participants: it records whether a detail field is selected. */
  const visit = (
    selectionSet: SelectionSetNode,
    parent: GraphQLCompositeType,
    times: number,
    roster: { detail: boolean } | undefined,
    fragmentsOnPath: ReadonlySet<string>,
  ): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (isCompositeType(type)) visit(selection.selectionSet, type, times, roster, fragmentsOnPath);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        const type = fragment && schema.getType(fragment.typeCondition.name.value);
        // A spread inside itself cannot pass validation; the path check keeps a bad document from looping.
        if (fragment && isCompositeType(type) && !fragmentsOnPath.has(name)) {
          visit(fragment.selectionSet, type, times, roster, new Set([...fragmentsOnPath, name]));
        }
      } else {
        visitField(selection, parent, times, roster, fragmentsOnPath);
      }
    }
  };

  const visitField = (
    field: FieldNode,
    parent: GraphQLCompositeType,
    times: number,
    roster: { detail: boolean } | undefined,
    fragmentsOnPath: ReadonlySet<string>,
  ): void => {
    const name = field.name.value;
    if (!isObjectType(parent) && !isInterfaceType(parent)) return;
    const definition = parent.getFields()[name];
    if (!definition) return;
    let args: Record<string, unknown>;
    try {
      args = getArgumentValues(definition, field, variables ?? undefined);
    } catch {
      return; // Execution will refuse these arguments before any call.
    }
    if (roster && parent.name === 'Participant' && detailFields.has(name)) roster.detail = true;
    if (parent === query) {
      if (name === 'participant') participantKeys.add(keyText(args));
      if (name === 'node') participantKeys.add(nodeKeyText(args['id']));
    }
    let below = times;
    let belowRoster = parent.name === 'Participant' ? undefined : roster;
    if (parent === query && name === '_entities') {
      const representations = Array.isArray(args['representations']) ? args['representations'] : [];
      for (const representation of representations) {
        const typename = (representation as { __typename?: unknown } | null)?.__typename;
        if (typename === 'Participant') participantKeys.add(keyText(representation));
      }
      below = times * representations.length;
    }
    const connection = connections[`${parent.name}.${name}`];
    if (connection !== undefined) {
      const first = args['first'];
      if (typeof first !== 'number' || !Number.isInteger(first) || first < 1 || first > 100) {
        inputProblem ??= `${name}(first:) must be between 1 and 100, got ${String(first)}`;
        return;
      }
      if (connection === 'ListParticipants') {
        const filter = (args['filter'] ?? {}) as Record<string, unknown>;
        const given = Object.keys(filter).filter((key) => filter[key] !== null && filter[key] !== undefined);
        if (given.length > 1) inputProblem ??= `IVS filters a roster on one field per call; got ${given.join(', ')}`;
        if (filter['recordingState'] === 'DISABLED') {
          inputProblem ??= 'filter.recordingState cannot be DISABLED: IVS does not filter on it';
        }
      }
      listCalls += times;
      below = times * first;
      belowRoster = connection === 'ListParticipants' ? { detail: false } : undefined;
    }
    const type = getNamedType(definition.type);
    if (field.selectionSet && isCompositeType(type)) {
      visit(field.selectionSet, type, below, belowRoster, fragmentsOnPath);
    }
    if (connection === 'ListParticipants' && belowRoster?.detail) rosterLookups += below;
  };

  visit(operation.selectionSet, query, 1, undefined, new Set());
  participantKeys.delete(noKey);
  return { participantKeys, rosterLookups, listCalls, inputProblem };
}

const noKey = '';

// Only strings can pass validation and reach IVS, so every other value (however large or deeply
// nested: it is never serialised) stands for one shared "invalid" key.
function keyText(value: unknown): string {
  const { stageArn, sessionId, participantId } = (typeof value === 'object' && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  const text = (field: unknown) => (typeof field === 'string' ? field : '');
  return participantKeyText({
    stageArn: text(stageArn),
    sessionId: text(sessionId),
    participantId: text(participantId),
  });
}

// A participant's global ID costs a lookup like its key does; other IDs are no participant lookup.
function nodeKeyText(id: unknown): string {
  try {
    const ref = parseGlobalId(String(id));
    return ref.type === 'Participant' ? participantKeyText(ref.key) : noKey;
  } catch {
    return noKey;
  }
}
