import {
  getNamedType,
  GraphQLError,
  isAbstractType,
  isObjectType,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { collectFields, collectSubfields } from 'graphql/execution/collectFields.js';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values.js';
import { participantDetailFields } from '../model.js';
import { parseGlobalId, type NodeRef } from '../globalId.js';
import { pageSizeProblem, rosterFilterProblem, type InputProblem } from '../validation.js';
import { ivsReadOperations, readOperation, readOperations, type IvsReadOperation } from '../ivs/operations/index.js';

/** What an operation can cost upstream at most, counted before it runs. */
export interface RequestCost {
  /** Distinct participants asked for by key: root `participant` fields, `_entities` representations, participant `node` IDs. */
  readonly participantKeys: ReadonlySet<string>;
  /** Lookups roster pages can cause: `first` for every page (times the pages that can reach it) selecting a detail field. */
  readonly rosterLookups: number;
  /** List calls (roster, session and event pages): one per connection field, times the items above it. */
  readonly listCalls: number;
  /** Distinct stages and sessions asked for by key (GetStage, GetStageSession): `stage`, `stageSession`, `node`, `_entities`, a keyed participant's `session`. */
  readonly stageKeys: ReadonlySet<string>;
  /** GetStageSession lookups whose key is known only at run time: `activeSession` per stage, `session` per roster page. */
  readonly sessionLookups: number;
  /** Input IVS would refuse, or a part of the document the walk cannot evaluate: refused before any call. */
  readonly inputProblem?: InputProblem | undefined;
}

/**
 * The worst-case upstream cost of one operation, computed with execution's own rules: variables are
 * coerced against the operation's definitions (defaults applied), fields are collected as execution
 * collects them (fragments, `@include`/`@skip`, aliases merged by response key), arguments are read
 * as resolvers will get them. A connection multiplies what is below it by its `first`. Whatever the
 * walk cannot evaluate is an `inputProblem`, never a part left uncounted. Works for any operation type
 * (a subscription's selection is costed like a query's).
 */
export function costOf(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Readonly<Record<string, unknown>> | undefined,
): RequestCost {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}, { maxErrors: 1 });
  if (coerced.errors) return refusedCost({ message: coerced.errors[0]?.message ?? 'The variables cannot be read' });
  const root = schema.getRootType(operation.operation);
  if (!root) return refusedCost({ message: unevaluable(`this schema has no ${operation.operation} type`).message });
  const walk = new CostWalk(schema, Object.fromEntries(fragments), coerced.coerced);
  try {
    walk.fields(root, collectFields(schema, walk.fragments, walk.variables, root, operation.selectionSet), {
      times: 1,
    });
  } catch (error) {
    if (error instanceof Refusal || error instanceof GraphQLError) return refusedCost({ message: error.message });
    throw error;
  }
  return walk.result();
}

function refusedCost(problem: InputProblem): RequestCost {
  return {
    participantKeys: new Set(),
    rosterLookups: 0,
    listCalls: 0,
    stageKeys: new Set(),
    sessionLookups: 0,
    inputProblem: problem,
  };
}

/** Why the walk stopped: input IVS would refuse, or a part it cannot price (refused rather than run uncounted). */
class Refusal extends Error {}

function unevaluable(problem: string): Refusal {
  return new Refusal(`The request budget cannot be computed, so the request is refused: ${problem}`);
}

/** Where a selection runs: how many times at most, and what the objects above it tell about it. */
interface Place {
  readonly times: number;
  /** Inside a roster page's participants: records whether a detail field is selected. */
  readonly roster?: { detail: boolean };
  /** The sessions a participant's `session` field resolves to: known keys, or the number of roster pages. */
  readonly session?: { readonly keys: readonly string[] } | { readonly pages: number };
}

const detailFields = new Set<string>(participantDetailFields);
// Connections by parent type and field (each list read's descriptor names its own); each page costs one list call.
const connections: ReadonlyMap<string, IvsReadOperation> = new Map(
  ivsReadOperations.flatMap((operation) => {
    const { connectionField } = readOperation(operation);
    return connectionField === undefined ? [] : [[connectionField, operation] as const];
  }),
);
const noKey = '';

class CostWalk {
  private readonly participantKeys = new Set<string>();
  private readonly stageKeys = new Set<string>();
  private rosterLookups = 0;
  private listCalls = 0;
  private sessionLookups = 0;
  private inputProblem: InputProblem | undefined;

  constructor(
    private readonly schema: GraphQLSchema,
    readonly fragments: Record<string, FragmentDefinitionNode>,
    readonly variables: Record<string, unknown>,
  ) {}

  /** Prices each field of an object type, once per response key as execution resolves it. */
  fields(type: GraphQLObjectType, fields: Map<string, readonly FieldNode[]>, place: Place): void {
    for (const nodes of fields.values()) this.field(type, nodes, place);
  }

  result(): RequestCost {
    this.participantKeys.delete(noKey);
    this.stageKeys.delete(noKey);
    return {
      participantKeys: this.participantKeys,
      rosterLookups: this.rosterLookups,
      listCalls: this.listCalls,
      stageKeys: this.stageKeys,
      sessionLookups: this.sessionLookups,
      inputProblem: this.inputProblem,
    };
  }

  private field(parent: GraphQLObjectType, nodes: readonly FieldNode[], place: Place): void {
    const first = nodes[0];
    if (!first) return;
    const name = first.name.value;
    // __typename, __schema and __type: answered from the schema, no IVS call below them.
    if (name.startsWith('__')) return;
    const definition = parent.getFields()[name];
    if (!definition) throw unevaluable(`${parent.name} has no field ${name}`);
    // Throws a GraphQLError for arguments execution would refuse: refused here too, uncounted nowhere.
    const args = getArgumentValues(definition, first, this.variables);
    const coordinate = `${parent.name}.${name}`;
    if (place.roster && parent.name === 'Participant' && detailFields.has(name)) place.roster.detail = true;

    // What a participant knows (its roster page, its session) reaches its connection's nodes, not its own fields.
    let below: Place = parent.name === 'Participant' ? { times: place.times } : place;
    // Objects of an abstract type, by the runtime type execution will resolve them to.
    let runtime: { type: string; place: Place }[] | undefined;
    switch (coordinate) {
      case 'Query.participant':
        this.participantKeys.add(participantKey(args));
        below = { times: place.times, session: { keys: [sessionKey(args)] } };
        break;
      case 'Query.stage':
        this.stageKeys.add(stageKey(args['arn']));
        break;
      case 'Query.stageSession':
        this.stageKeys.add(sessionKey(args));
        break;
      case 'Query.node':
        runtime = this.node(args['id'], place);
        break;
      case 'Query._entities':
        runtime = this.entities(args['representations'], place);
        break;
      case 'Stage.activeSession':
        this.sessionLookups += place.times;
        break;
      case 'Participant.session':
        if (place.session && 'keys' in place.session) for (const key of place.session.keys) this.stageKeys.add(key);
        else this.sessionLookups += place.session?.pages ?? place.times;
        break;
    }
    const connection = connections.get(coordinate);
    if (connection !== undefined) {
      const pageSize = this.pageSize(name, args);
      if (connection === 'ListParticipants') this.inputProblem ??= rosterFilterProblem(rosterFilterArgument(args));
      this.listCalls += place.times;
      below =
        connection === 'ListParticipants'
          ? { times: place.times * pageSize, roster: { detail: false }, session: { pages: place.times } }
          : { times: place.times * pageSize };
    }

    const type = getNamedType(definition.type);
    if (isObjectType(type)) {
      this.fields(type, collectSubfields(this.schema, this.fragments, this.variables, type, nodes), below);
    } else if (isAbstractType(type)) {
      // Without a rule naming the runtime type, every possible type is priced: an upper bound.
      runtime ??= this.schema.getPossibleTypes(type).map((possible) => ({ type: possible.name, place: below }));
      for (const { type: typeName, place: objectPlace } of runtime) {
        const objectType = this.schema.getType(typeName);
        if (!isObjectType(objectType)) continue;
        this.fields(
          objectType,
          collectSubfields(this.schema, this.fragments, this.variables, objectType, nodes),
          objectPlace,
        );
      }
    }
    if (connection === 'ListParticipants' && below.roster?.detail) this.rosterLookups += below.times;
  }

  // `node(id:)` resolves to the type its ID names; an ID the gateway did not issue fails before any call.
  private node(id: unknown, place: Place): { type: string; place: Place }[] {
    let ref: NodeRef;
    try {
      ref = parseGlobalId(String(id));
    } catch {
      return [];
    }
    switch (ref.type) {
      case 'Stage':
        this.stageKeys.add(stageKey(ref.arn));
        return [{ type: 'Stage', place }];
      case 'StageSession':
        this.stageKeys.add(sessionKey(ref.key));
        return [{ type: 'StageSession', place }];
      case 'Participant':
        this.participantKeys.add(participantKey(ref.key));
        return [{ type: 'Participant', place: { times: place.times, session: { keys: [sessionKey(ref.key)] } } }];
    }
  }

  // Each representation is one lookup of its type (Apollo resolves them one by one); unknown types fail unasked.
  private entities(representations: unknown, place: Place): { type: string; place: Place }[] {
    const list = Array.isArray(representations) ? (representations as unknown[]) : [];
    const byType = new Map<string, unknown[]>();
    for (const representation of list) {
      const typename = (representation as { __typename?: unknown } | null)?.__typename;
      if (typeof typename !== 'string') continue;
      const group = byType.get(typename);
      if (group) group.push(representation);
      else byType.set(typename, [representation]);
    }
    const runtime: { type: string; place: Place }[] = [];
    for (const [type, group] of byType) {
      const times = place.times * group.length;
      if (type === 'Participant') {
        for (const representation of group) this.participantKeys.add(participantKey(representation));
        runtime.push({ type, place: { times, session: { keys: group.map(sessionKey) } } });
      } else if (type === 'Stage') {
        for (const representation of group) this.stageKeys.add(stageKey(fieldOf(representation, 'arn')));
        runtime.push({ type, place: { times } });
      } else if (type === 'StageSession') {
        for (const representation of group) this.stageKeys.add(sessionKey(representation));
        runtime.push({ type, place: { times } });
      }
    }
    return runtime;
  }

  private pageSize(name: string, args: Record<string, unknown>): number {
    const problem = pageSizeProblem(args['first'], name);
    if (problem !== undefined) throw new Refusal(problem);
    return args['first'] as number;
  }
}

// A roster filter as execution will coerce it: an input object or nothing.
function rosterFilterArgument(args: Record<string, unknown>): Record<string, unknown> | undefined {
  const filter = args['filter'];
  return typeof filter === 'object' && filter !== null ? (filter as Record<string, unknown>) : undefined;
}

// Only strings can pass validation and reach IVS, so every other value (however large or deeply
// nested: it is never serialised) stands for one shared "invalid" key, which costs no call.
function fieldOf(value: unknown, name: string): string {
  const field = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
  return typeof field === 'string' ? field : '';
}

function participantKey(value: unknown): string {
  const key = {
    stageArn: fieldOf(value, 'stageArn'),
    sessionId: fieldOf(value, 'sessionId'),
    participantId: fieldOf(value, 'participantId'),
  };
  return key.stageArn && key.sessionId && key.participantId ? readOperations.GetParticipant.keyText(key) : noKey;
}

// Keys are spelled as the loaders spell them, so the budget counts what they will call. GetStage and
// GetStageSession keys share one budget and one set: the operation's name in front keeps them apart.
function stageKey(arn: unknown): string {
  return typeof arn === 'string' && arn !== '' ? `GetStage ${readOperations.GetStage.keyText(arn)}` : noKey;
}

function sessionKey(value: unknown): string {
  const key = { stageArn: fieldOf(value, 'stageArn'), sessionId: fieldOf(value, 'sessionId') };
  return key.stageArn && key.sessionId ? `GetStageSession ${readOperations.GetStageSession.keyText(key)}` : noKey;
}
