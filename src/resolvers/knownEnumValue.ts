import { getNamedType, isEnumType, type GraphQLResolveInfo } from 'graphql';

/**
 * `value` if the field's GraphQL enum has it, else null: a value IVS added after this schema was written
 * reads as null instead of failing the whole field.
 */
export function knownEnumValue<T extends string>(value: T | undefined, info: GraphQLResolveInfo): T | null {
  const type = getNamedType(info.returnType);
  return value !== undefined && isEnumType(type) && type.getValue(value) !== undefined ? value : null;
}
