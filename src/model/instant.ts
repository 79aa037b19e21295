import Type from 'typebox';
import { ChimeError } from '../errors.js';

/** An instant as ISO 8601 text with an explicit offset or `Z`, e.g. `2026-12-01T10:00:00Z`. */
export const InstantSchema = Type.String({
  format: 'date-time',
  description: 'ISO 8601 date-time with an offset or Z, e.g. 2026-12-01T10:00:00Z',
});

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Parses an instant (a `Date`, or ISO 8601 text that names its offset) to epoch
 * milliseconds. Text without an offset is refused: its meaning would depend on
 * the host's zone.
 * @throws ChimeError `CHIME_ERR_DATE_INVALID` naming `path`.
 */
export function parseInstant(value: unknown, path: string): number {
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'string' && ISO_WITH_ZONE.test(value)
        ? Date.parse(value)
        : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new ChimeError(
      'CHIME_ERR_DATE_INVALID',
      `${JSON.stringify(value)} is not an instant: use ISO 8601 with an offset, e.g. 2026-12-01T10:00:00Z`,
      { path },
    );
  }
  return ms;
}

/** Formats epoch milliseconds as canonical ISO 8601 UTC text. */
export function formatInstant(ms: number): string {
  return new Date(ms).toISOString();
}
