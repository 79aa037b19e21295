/**
 * The field-level difference between two JSON documents (a stored job and the
 * definition that would replace it), for the drift report of `apply`: each
 * changed leaf by its JSON Pointer, with the value before and after (absent
 * when the field is absent on that side). And whether there is any, without
 * building the list: `ensureJob`'s "unchanged" (`isDefinitionOf`).
 */
import { pointerToken } from '../model/json-value.js';

/** One changed field: its JSON Pointer, and its values before and after (absent: no such field). */
export interface FieldChange {
  path: string;
  from?: unknown;
  to?: unknown;
}

/**
 * The fields that differ between `before` and `after`, plain objects compared
 * key by key (in key order), arrays of equal length element by element,
 * anything else (a `Date` too) by its JSON text. Empty when they are equal.
 */
export function diffJson(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => diffJson(before[key], after[key], `${path}/${pointerToken(key)}`));
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

/**
 * True when `a` and `b` are the same as JSON: plain objects key by key (in
 * any order; a key whose value JSON leaves out, as absent), arrays element by
 * element (such an element as `null`), anything else by its JSON text. Stops
 * at the first difference. True wherever `diffJson` finds no change.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a).filter((key) => !isLeftOut(a[key]));
    return (
      keys.length === Object.keys(b).filter((key) => !isLeftOut(b[key])).length &&
      keys.every((key) => sameJson(a[key], b[key]))
    );
  }
  if (Array.isArray(a) && Array.isArray(b))
    return (
      a.length === b.length && a.every((item: unknown, i) => sameJson(inArray(item), inArray(b[i])))
    );
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A value JSON leaves out of an object (and writes as `null` in an array). */
function isLeftOut(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function inArray(value: unknown): unknown {
  return isLeftOut(value) ? null : value;
}

/** An object JSON writes as its own enumerable keys: a plain one, without `toJSON`. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return (
    (proto === Object.prototype || proto === null) &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  );
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
