import ms from 'ms';
import Type from 'typebox';
import { ChimeError } from '../errors.js';

/**
 * A duration as users write it: milliseconds as a number, or a string such as
 * `"250ms"`, `"5s"`, `"10m"`, `"2h"`, `"7d"` (parsed by the `ms` package).
 */
export const DurationSchema = Type.Union(
  [Type.Number({ minimum: 0 }), Type.String({ minLength: 1 })],
  {
    description: 'Milliseconds, or a string such as "250ms", "5s", "10m", "2h", "7d".',
  },
);

/** A duration: milliseconds, or a string such as `"5s"`. */
export type Duration = number | string;

/**
 * Parses a {@link Duration} to milliseconds.
 * @throws ChimeError `CHIME_ERR_DURATION_INVALID` naming `path`.
 */
export function parseDuration(value: Duration, path: string): number {
  const parsed = typeof value === 'number' ? value : msOf(value);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) {
    throw new ChimeError(
      'CHIME_ERR_DURATION_INVALID',
      `${JSON.stringify(value)} is not a duration: use milliseconds or a string such as "5s", "10m", "2h"`,
      { path },
    );
  }
  return Math.round(parsed);
}

/** `ms` of a text, or undefined where `ms` throws (an empty string). */
function msOf(text: unknown): number | undefined {
  try {
    return ms(text as ms.StringValue);
  } catch {
    return undefined;
  }
}
