/**
 * The one validating quoter of the Postgres store. Values are always bound as
 * parameters; the only text ever spliced into SQL is an identifier — the
 * schema name, and the notification channel derived from it — and it passes
 * here first. A name is accepted only when it is a plain lower-case Postgres
 * identifier, so the quoted form needs no escaping and cannot end the quote.
 */
import { createHash } from 'node:crypto';
import { ChimeError } from '../../errors.js';

/** A plain identifier: lower case, digits and `_`, at most 63 bytes (Postgres' NAMEDATALEN - 1). */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Postgres reserves schema names starting with `pg_` for itself. */
const RESERVED_SCHEMA_PREFIX = 'pg_';

/**
 * Checks a name and returns it double-quoted for SQL text.
 * @param name the identifier to check
 * @param path the option it came from, named in the error (a JSON Pointer such as `/schema`)
 * @throws ChimeError `CHIME_ERR_OPTION_INVALID` unless `name` matches `^[a-z_][a-z0-9_]{0,62}$`
 */
export function quoteIdentifier(name: unknown, path: string): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new ChimeError(
      'CHIME_ERR_OPTION_INVALID',
      `the Postgres identifier ${JSON.stringify(name)} is not allowed: use 1 to 63 characters ` +
        'of a-z, 0-9 and _, not starting with a digit',
      { path },
    );
  }
  return `"${name}"`;
}

/**
 * Checks a schema name (an identifier not starting with `pg_`) and returns it quoted.
 * @throws ChimeError `CHIME_ERR_OPTION_INVALID`
 */
export function quoteSchema(schema: unknown, path = '/schema'): string {
  const quoted = quoteIdentifier(schema, path);
  if (String(schema).startsWith(RESERVED_SCHEMA_PREFIX)) {
    throw new ChimeError(
      'CHIME_ERR_OPTION_INVALID',
      `the Postgres schema name ${JSON.stringify(schema)} is reserved: names starting with ` +
        `"${RESERVED_SCHEMA_PREFIX}" belong to Postgres`,
      { path },
    );
  }
  return quoted;
}

/**
 * The LISTEN/NOTIFY channel of a schema: `<schema>_changes`, or — when that
 * would pass 63 bytes — the schema's first 46 characters, a hash of the whole
 * name and `_changes`, so two long schema names never share a channel. The
 * result is itself a valid identifier.
 */
export function channelName(schema: string): string {
  quoteSchema(schema);
  const plain = `${schema}_changes`;
  if (plain.length <= 63) return plain;
  const digest = createHash('sha256').update(schema).digest('hex').slice(0, 8);
  return `${schema.slice(0, 46)}_${digest}_changes`;
}
