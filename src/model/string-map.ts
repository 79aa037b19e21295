import Type, { type TSchema, type TString } from 'typebox';

/** Options of a {@link StringMap}: bounds and annotations of the object. */
export interface StringMapOptions {
  maxProperties?: number;
  description?: string;
}

/**
 * A JSON object used as a map: every key matches `key` (JSON Schema
 * `propertyNames`), every value matches `value`, nothing else is allowed.
 * `Type.Record` alone turns a key pattern into `patternProperties`, which
 * leaves the keys that do not match it unchecked; this map is checked alike by
 * the validator and by any JSON Schema validator that reads the served schema.
 */
export function StringMap<V extends TSchema>(key: TString, value: V, options: StringMapOptions) {
  return Type.Record(Type.String(), value, {
    ...options,
    propertyNames: key,
    additionalProperties: false,
  });
}
