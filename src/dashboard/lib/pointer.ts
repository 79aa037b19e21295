/**
 * JSON Pointers (RFC 6901), the `path` of every API error: read, write and
 * remove a value of a plain JSON object by pointer.
 */

/** The segments of a pointer: "/target/url" → ["target", "url"]. */
export function segments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A pointer from segments. */
export function pointerOf(parts: readonly string[]): string {
  return parts.map((s) => `/${s.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** The value at `pointer`, or undefined. */
export function getAt(root: unknown, pointer: string): unknown {
  let value = root;
  for (const part of segments(pointer)) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * A copy of `root` with `value` at `pointer` (objects created on the way);
 * undefined removes the field, and objects left empty by it.
 */
export function setAt<T>(root: T, pointer: string, value: unknown): T {
  const parts = segments(pointer);
  return write(root, parts, value) as T;
}

function write(node: unknown, parts: string[], value: unknown): unknown {
  const [head, ...rest] = parts;
  if (head === undefined) return value;
  const object: Record<string, unknown> = isPlainObject(node) ? node : {};
  const child = write(object[head], rest, value);
  const others = Object.entries(object).filter(([key]) => key !== head);
  const empty = child === undefined || (isPlainObject(child) && Object.keys(child).length === 0);
  return Object.fromEntries(empty ? others : [...others, [head, child]]);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
