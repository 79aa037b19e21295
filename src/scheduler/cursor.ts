import { ChimeError } from '../errors.js';

/**
 * Opaque paging cursors: the position after the last item of a page, as
 * base64url JSON. A cursor that does not decode to the expected shape is
 * refused with `CHIME_ERR_CURSOR_INVALID`.
 */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** Decodes a cursor, checking each field's type against `shape`. */
export function decodeCursor<T extends Record<string, 'string' | 'number'>>(
  cursor: string,
  shape: T,
): { [K in keyof T]: T[K] extends 'string' ? string : number } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const fits =
    typeof value === 'object' &&
    value !== null &&
    Object.entries(shape).every(
      ([key, type]) => typeof (value as Record<string, unknown>)[key] === type,
    );
  if (!fits)
    throw new ChimeError(
      'CHIME_ERR_CURSOR_INVALID',
      'the cursor was not produced by this listing',
      { path: '/cursor' },
    );
  return value as { [K in keyof T]: T[K] extends 'string' ? string : number };
}
