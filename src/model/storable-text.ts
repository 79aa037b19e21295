/**
 * Text every store keeps as it is given. A handler's own text — an error
 * message, a result — may hold a NUL, or half a surrogate pair (a message cut
 * at a length inside an emoji): Postgres refuses both in JSONB and text, so
 * such an outcome could not be written there. Each is replaced by U+FFFD
 * before it reaches a store, alike on every store.
 */

/** `text` with each NUL and each lone surrogate replaced by U+FFFD (the same string when it has none). */
export function storableText(text: string): string {
  if (text.isWellFormed() && !text.includes('\u0000')) return text;
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
