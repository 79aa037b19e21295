import type { TSchema } from 'typebox';
import { ChimeError } from '../errors.js';

/**
 * Secret fields of targets are marked in their TypeBox schemas with the
 * `x-chime-secret` keyword, so every later layer (API responses, logs, the
 * CLI) can redact them from the schema alone, without knowing the target type:
 * - `value`: the whole value is secret (a password, a token);
 * - `url`: a URL whose password part is secret (`amqp://user:pw@host`);
 * - `headers`: a header map whose credential-like headers are secret
 *   (`Authorization`, `Proxy-Authorization`, `Cookie`, and names containing
 *   token, secret, password, api-key or auth).
 */
export const SECRET_KEYWORD = 'x-chime-secret';

/** How a field is secret; see {@link SECRET_KEYWORD}. */
export type SecretKind = 'value' | 'url' | 'headers';

/** What redacted values read as. Sent back on an update, it means "keep the stored secret". */
export const REDACTED = '[redacted]';

const SENSITIVE_HEADER =
  /^(authorization|proxy-authorization|cookie|set-cookie)$|token|secret|passw|api[-_]?key|auth/i;

/** Marks a schema as secret (returns the same schema, annotated). */
export function Secret<T extends TSchema>(schema: T, kind: SecretKind = 'value'): T {
  return Object.assign(schema, { [SECRET_KEYWORD]: kind });
}

/** True when a header name carries credentials. */
export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADER.test(name);
}

/**
 * A URL with its password (if any) replaced by {@link REDACTED}, whether the
 * text parses as a URL or not: in a URL that parses, the password its parser
 * sees; in one that does not (a port out of range, a `/` in the password),
 * everything between the first `:` after `scheme://` and the last `@`.
 */
export function redactUrl(text: string): string {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(text);
  if (!scheme) return text;
  const start = scheme[0].length;
  const at = userinfoEnd(text, start);
  const colon = text.indexOf(':', start);
  return colon >= 0 && colon < at
    ? `${text.slice(0, colon + 1)}${REDACTED}${text.slice(at)}`
    : text;
}

/** The `@` that ends the userinfo of a URL whose authority starts at `start`; -1 when it has no password. */
function userinfoEnd(text: string, start: number): number {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text.lastIndexOf('@');
  }
  if (url.password === '') return -1;
  const end = text.slice(start).search(/[/?#\\]/);
  return text.lastIndexOf('@', end < 0 ? text.length : start + end);
}

/** Free text (an error message) with the password of every `scheme://user:password@` in it redacted. */
export function redactUrlsIn(text: string): string {
  return text.replace(/\b([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:/?#@]*:)\S*@/g, `$1${REDACTED}@`);
}

/**
 * A copy of `value` with every field that `schema` marks secret redacted.
 * Walks object properties, arrays and records; values the schema does not
 * describe are copied as they are.
 */
export function redactSecrets(schema: TSchema, value: unknown): unknown {
  const kind = (schema as Record<string, unknown>)[SECRET_KEYWORD] as SecretKind | undefined;
  if (value === undefined || value === null) return value;
  if (kind === 'value') return REDACTED;
  if (kind === 'url') {
    if (Array.isArray(value))
      return value.map((item) => (typeof item === 'string' ? redactUrl(item) : item));
    return typeof value === 'string' ? redactUrl(value) : value;
  }
  if (kind === 'headers' && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        isSensitiveHeader(k) ? REDACTED : v,
      ]),
    );
  }
  const s = schema as { properties?: Record<string, TSchema>; items?: TSchema; anyOf?: TSchema[] };
  if (Array.isArray(value))
    return s.items ? value.map((item) => redactSecrets(s.items as TSchema, item)) : value;
  if (typeof value !== 'object') return value;
  const member = memberFor(schema, value);
  if (member !== schema) return member ? redactSecrets(member, value) : value;
  if (!s.properties) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, propertySchema] of Object.entries(s.properties)) {
    if (key in out) out[key] = redactSecrets(propertySchema, out[key]);
  }
  return out;
}

/**
 * The secrets a client sent back redacted, put back from the stored value: an
 * update of a job that carries {@link REDACTED} where a secret was (as every
 * response shows it) keeps the stored secret instead of storing the
 * placeholder. Anything else the client sent wins. A stored secret is only
 * kept while the target's destination (the origins of its URLs) is unchanged:
 * it is never sent to a host it was not given for.
 * @throws ChimeError `CHIME_ERR_INVALID_INPUT` at `path` when a placeholder
 * comes with a changed destination.
 */
export function restoreSecrets(
  schema: TSchema,
  incoming: unknown,
  stored: unknown,
  path = '',
): unknown {
  if (incoming === undefined || incoming === null || stored === undefined || stored === null)
    return incoming;
  if (
    JSON.stringify(incoming).includes(REDACTED) &&
    destinations(schema, incoming) !== destinations(schema, stored)
  ) {
    throw new ChimeError(
      'CHIME_ERR_INVALID_INPUT',
      'a [redacted] secret is kept only while the destination stays the same: send the secret again with the new URL',
      { path },
    );
  }
  return restore(schema, incoming, stored);
}

function restore(schema: TSchema, incoming: unknown, stored: unknown): unknown {
  if (incoming === undefined || incoming === null || stored === undefined || stored === null)
    return incoming;
  const kind = (schema as Record<string, unknown>)[SECRET_KEYWORD] as SecretKind | undefined;
  if (kind === 'value') return incoming === REDACTED ? stored : incoming;
  if (kind === 'url') return restoreUrl(incoming, stored);
  if (kind === 'headers') return restoreHeaders(incoming, stored);
  if (typeof incoming !== 'object' || typeof stored !== 'object' || Array.isArray(incoming))
    return incoming;
  const member = memberFor(schema, incoming);
  if (member !== schema) {
    const sameType = (stored as { type?: unknown }).type === (incoming as { type?: unknown }).type;
    return member && sameType ? restore(member, incoming, stored) : incoming;
  }
  const s = schema as { properties?: Record<string, TSchema> };
  if (!s.properties) return incoming;
  const out: Record<string, unknown> = { ...(incoming as Record<string, unknown>) };
  for (const [key, propertySchema] of Object.entries(s.properties)) {
    if (key in out)
      out[key] = restore(propertySchema, out[key], (stored as Record<string, unknown>)[key]);
  }
  return out;
}

/** For a union discriminated by `type`, the member `value` names (undefined when none); else the schema itself. */
function memberFor(schema: TSchema, value: unknown): TSchema | undefined {
  const anyOf = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!anyOf) return schema;
  const type = (value as { type?: unknown }).type;
  return anyOf.find(
    (m) => (m as { properties?: { type?: { const?: unknown } } }).properties?.type?.const === type,
  );
}

/** The origins of every URL-kind field of a value, in a stable text form. */
function destinations(schema: TSchema, value: unknown): string {
  const found: string[] = [];
  const walk = (s: TSchema | undefined, v: unknown): void => {
    if (!s || v === undefined || v === null) return;
    if ((s as Record<string, unknown>)[SECRET_KEYWORD] === 'url') {
      for (const item of Array.isArray(v) ? v : [v])
        found.push(typeof item === 'string' ? originOf(item) : '');
      return;
    }
    if (typeof v !== 'object' || Array.isArray(v)) return;
    const member = memberFor(s, v);
    if (member !== s) return walk(member, v);
    for (const [key, child] of Object.entries(
      (s as { properties?: Record<string, TSchema> }).properties ?? {},
    )) {
      walk(child, (v as Record<string, unknown>)[key]);
    }
  };
  walk(schema, value);
  return found.join(' ');
}

function originOf(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.username}@${url.host}`;
  } catch {
    return text;
  }
}

function restoreUrl(incoming: unknown, stored: unknown): unknown {
  if (Array.isArray(incoming)) {
    const previous = Array.isArray(stored) ? stored : [stored];
    return incoming.map((item, i) => restoreUrl(item, previous[i]));
  }
  if (typeof incoming !== 'string' || typeof stored !== 'string') return incoming;
  try {
    const url = new URL(incoming);
    if (decodeURIComponent(url.password) !== REDACTED) return incoming;
    url.password = new URL(stored).password;
    return url.toString();
  } catch {
    return incoming;
  }
}

function restoreHeaders(incoming: unknown, stored: unknown): unknown {
  if (
    typeof incoming !== 'object' ||
    typeof stored !== 'object' ||
    incoming === null ||
    stored === null
  )
    return incoming;
  const previous = new Map(
    Object.entries(stored as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), v]),
  );
  return Object.fromEntries(
    Object.entries(incoming as Record<string, unknown>).map(([k, v]) => [
      k,
      v === REDACTED && previous.has(k.toLowerCase()) ? previous.get(k.toLowerCase()) : v,
    ]),
  );
}
