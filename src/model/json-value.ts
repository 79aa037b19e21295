/**
 * The one rule for JSON chime takes: a document nests at most
 * {@link MAX_JSON_DEPTH} levels of objects and arrays, and a free-form field
 * (a payload, a target body) serializes as JSON within its byte limit. Depth
 * is measured without recursion, before anything else walks the value, so no
 * input can exhaust the stack of what handles it next.
 */
import { ChimeError } from '../errors.js';
import { MAX_JSON_DEPTH } from './limits.js';

interface Frame {
  value: object;
  depth: number;
  parent: Frame | undefined;
  key: string;
}

/** Where a value first nests too deep: the JSON Pointer segments to it, and whether it is a cycle. */
export interface TooDeep {
  at: string[];
  cycle: boolean;
}

/** A key or name as one JSON Pointer token (RFC 6901: `~` → `~0`, `/` → `~1`). */
export function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * The first object or array of `value` nested deeper than `maxDepth` (the
 * root is level 1), or undefined when there is none. A cycle always is one.
 */
export function findTooDeep(value: unknown, maxDepth = MAX_JSON_DEPTH): TooDeep | undefined {
  const stack: Frame[] = [];
  if (isContainer(value)) stack.push({ value, depth: 1, parent: undefined, key: '' });
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    if (frame.depth > maxDepth) return { at: segments(frame), cycle: inCycle(frame) };
    for (const [key, child] of Object.entries(frame.value)) {
      if (isContainer(child))
        stack.push({ value: child, depth: frame.depth + 1, parent: frame, key });
    }
  }
  return undefined;
}

/**
 * Throws unless `value` nests at most {@link MAX_JSON_DEPTH} levels:
 * `CHIME_ERR_JSON_TOO_DEEP` at the pointer (under `path`) of the first value
 * too deep, or `CHIME_ERR_PAYLOAD_NOT_JSON` for a cycle.
 */
export function assertJsonDepth(value: unknown, path: string): void {
  const found = findTooDeep(value);
  if (!found) return;
  const at = path + found.at.map((s) => `/${pointerToken(s)}`).join('');
  if (found.cycle) {
    throw new ChimeError('CHIME_ERR_PAYLOAD_NOT_JSON', 'the value refers to itself (a cycle)', {
      path: at,
    });
  }
  throw new ChimeError(
    'CHIME_ERR_JSON_TOO_DEEP',
    `JSON may nest at most ${MAX_JSON_DEPTH} levels of objects and arrays`,
    { path: at },
  );
}

/**
 * Checks a free-form JSON field named `name` (a payload, a body): its depth,
 * that it serializes as JSON, and that it is at most `maxBytes` bytes of JSON.
 * @throws ChimeError `CHIME_ERR_JSON_TOO_DEEP`, `CHIME_ERR_PAYLOAD_NOT_JSON` or
 * `CHIME_ERR_PAYLOAD_TOO_LARGE` at `path`.
 */
export function assertJsonField(
  value: unknown,
  path: string,
  field: { name: string; maxBytes: number },
): void {
  if (value === undefined) return;
  assertJsonDepth(value, path);
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new ChimeError(
      'CHIME_ERR_PAYLOAD_NOT_JSON',
      `the ${field.name} cannot be serialized as JSON: ${(err as Error).message}`,
      { path },
    );
  }
  if (json === undefined) {
    throw new ChimeError(
      'CHIME_ERR_PAYLOAD_NOT_JSON',
      `the ${field.name} cannot be serialized as JSON`,
      { path },
    );
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > field.maxBytes) {
    throw new ChimeError(
      'CHIME_ERR_PAYLOAD_TOO_LARGE',
      `the ${field.name} is ${bytes} bytes of JSON; the limit is ${field.maxBytes}`,
      { path },
    );
  }
}

/** Objects and arrays; a Date serializes as a string. */
function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !(value instanceof Date);
}

function segments(frame: Frame): string[] {
  const out: string[] = [];
  for (let f: Frame | undefined = frame; f?.parent; f = f.parent) out.push(f.key);
  return out.reverse();
}

function inCycle(frame: Frame): boolean {
  for (let f = frame.parent; f; f = f.parent) if (f.value === frame.value) return true;
  return false;
}
