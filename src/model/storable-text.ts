/**
 * Text every store keeps as it is given. A handler's own text — an error
 * message, a result — may hold a NUL, or half a surrogate pair (a message cut
 * at a length inside an emoji): Postgres refuses both in JSONB and text, so
 * such an outcome could not be written there. Each is replaced by U+FFFD
 * before it reaches a store, alike on every store. Input (a job definition,
 * a trigger's payload) is refused instead, with the path of the text.
 */

import { ChimeError } from '../errors.js';
import { pointerToken } from './json-value.js';

/** `text` with each NUL and each lone surrogate replaced by U+FFFD (the same string when it has none). */
export function storableText(text: string): string {
  if (isStorable(text)) return text;
  return text.toWellFormed().replaceAll('\u0000', '\uFFFD');
}

/**
 * A JSON value (as `JSON.parse` returns it) whose strings, keys included, are
 * {@link storableText}: the same value when none changes, else a copy.
 */
export function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const items = value.map(storableJson);
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  let changed = false;
  const entries = Object.entries(value).map(([key, item]): [string, unknown] => {
    const entry: [string, unknown] = [storableText(key), storableJson(item)];
    changed ||= entry[0] !== key || entry[1] !== item;
    return entry;
  });
  return changed ? Object.fromEntries(entries) : value;
}

/** True when every store keeps `text` as it is: no NUL, no lone surrogate. */
function isStorable(text: string): boolean {
  return text.isWellFormed() && !text.includes('\u0000');
}

/**
 * Throws unless every string of a JSON value, keys included, is storable
 * text. The value's depth must have been checked (`assertJsonDepth`).
 * @throws ChimeError `CHIME_ERR_INVALID_INPUT` at the pointer (under `path`) of the first one.
 */
export function assertStorableText(value: unknown, path: string): void {
  const fail = (at: string) => {
    throw new ChimeError(
      'CHIME_ERR_INVALID_INPUT',
      'text may not hold a NUL (U+0000) or half a surrogate pair',
      { path: at },
    );
  };
  if (typeof value === 'string') {
    if (!isStorable(value)) fail(path);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, item] of Object.entries(value)) {
    const at = `${path}/${pointerToken(key)}`;
    if (!isStorable(key)) fail(at);
    assertStorableText(item, at);
  }
}
