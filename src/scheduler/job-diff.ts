/**
 * The field-level difference between two JSON documents (a stored job and the
 * definition that would replace it), for the drift report of `apply`: each
 * changed leaf by its JSON Pointer, with the value before and after (absent
 * when the field is absent on that side).
 */

/** One changed field: its JSON Pointer, and its values before and after (absent: no such field). */
export interface FieldChange {
  path: string;
  from?: unknown;
  to?: unknown;
}

/**
 * The fields that differ between `before` and `after`, objects compared key
 * by key (in key order), arrays of equal length element by element, anything
 * else as a whole. Empty when they are equal.
 */
export function diffJson(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => diffJson(before[key], after[key], `${path}/${escape(key)}`));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item: unknown, i) => diffJson(item, after[i], `${path}/${i}`));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const change: FieldChange = { path };
  if (before !== undefined) change.from = before;
  if (after !== undefined) change.to = after;
  return [change];
}

/** The value at a JSON Pointer `diffJson` produced, or undefined. */
export function valueAt(document: unknown, pointer: string): unknown {
  let value = document;
  for (const token of pointer.split('/').slice(1)) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[token.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A key as a JSON Pointer token (RFC 6901). */
function escape(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
