import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { ChimeError } from '../errors.js';

/** A compiled schema check that throws the first, most specific error as a ChimeError. */
export interface SchemaCheck {
  /** Throws a ChimeError naming the offending field (under `basePath`) unless `value` fits. */
  assert(value: unknown, basePath: string): void;
}

interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

/** Compiles a TypeBox schema into a {@link SchemaCheck}. */
export function schemaCheck(schema: TSchema): SchemaCheck {
  const validator = Compile(schema);
  return {
    assert(value, basePath) {
      if (validator.Check(value)) return;
      const errors = [...validator.Errors(value)] as SchemaError[];
      throw toChimeError(pickError(errors), basePath, errors);
    },
  };
}

/** The error a user should see first: unknown and missing fields, then the deepest one. */
function pickError(errors: SchemaError[]): SchemaError {
  const useful = errors.filter((e) => e.keyword !== 'boolean' && e.keyword !== 'anyOf');
  const pool = useful.length > 0 ? useful : errors;
  const rank = (e: SchemaError) =>
    (e.keyword === 'additionalProperties' ? 2000 : e.keyword === 'required' ? 1000 : 0) +
    e.instancePath.split('/').length;
  return pool.reduce((best, e) => (rank(e) > rank(best) ? e : best));
}

function toChimeError(error: SchemaError, basePath: string, all: SchemaError[]): ChimeError {
  const at = basePath + error.instancePath;
  if (error.keyword === 'const') {
    // A union of literals (an enum): name the values it takes.
    const allowed = all
      .filter((e) => e.keyword === 'const' && e.instancePath === error.instancePath)
      .map((e) => JSON.stringify(e.params['allowedValue']));
    return new ChimeError('CHIME_ERR_INVALID_INPUT', `${at} must be one of ${allowed.join(', ')}`, {
      path: at,
    });
  }
  if (error.keyword === 'additionalProperties') {
    const [field] = error.params['additionalProperties'] as string[];
    return new ChimeError('CHIME_ERR_UNKNOWN_FIELD', `unknown field "${field}"`, {
      path: `${at}/${field}`,
    });
  }
  if (error.keyword === 'required') {
    const [field] = error.params['requiredProperties'] as string[];
    return new ChimeError('CHIME_ERR_MISSING_FIELD', `missing required field "${field}"`, {
      path: `${at}/${field}`,
    });
  }
  if (error.keyword === 'format' && error.params['format'] === 'date-time') {
    return new ChimeError(
      'CHIME_ERR_DATE_INVALID',
      `${at} must be an ISO 8601 date-time with an offset or Z, e.g. 2026-12-01T10:00:00Z`,
      { path: at },
    );
  }
  return new ChimeError('CHIME_ERR_INVALID_INPUT', `${at || 'the value'} ${error.message}`, {
    path: at,
  });
}
