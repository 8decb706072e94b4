import {
  Kind,
  OperationTypeNode,
  valueFromASTUntyped,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { participantKeyText } from '../model.js';

/**
 * The distinct participants an operation asks for, as key texts: every root `participant` field and every `_entities`
 * representation, with arguments read from literals and variables, counted once per key. Each
 * costs the same (at most one IVS call), so their number is the operation's upstream cost.
 * Only the root selection matters: no type below Query leads back to a lookup.
 */
export function participantKeysOf(
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Readonly<Record<string, unknown>> | undefined,
): Set<string> {
  const keys = new Set<string>();
  const visitedFragments = new Set<string>();
  const visit = (selectionSet: SelectionSetNode): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === 'participant') keys.add(participantKey(argument(selection, variables)));
        if (selection.name.value === '_entities') {
          const representations = argument(selection, variables)['representations'];
          for (const representation of Array.isArray(representations) ? representations : [representations]) {
            keys.add(participantKey(representation));
          }
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet);
      } else if (!visitedFragments.has(selection.name.value)) {
        // A fragment spread twice asks for the same keys twice: count it once (and never loop).
        visitedFragments.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  if (operation.operation === OperationTypeNode.QUERY) visit(operation.selectionSet);
  return keys;
}

function argument(field: FieldNode, variables: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  return Object.fromEntries(
    (field.arguments ?? []).map((arg) => [arg.name.value, valueFromASTUntyped(arg.value, variables ?? undefined)]),
  );
}

// Only strings can pass validation and reach IVS, so every other value (however large or deeply
// nested: it is never serialised) stands for one shared "invalid" key.
function participantKey(value: unknown): string {
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
