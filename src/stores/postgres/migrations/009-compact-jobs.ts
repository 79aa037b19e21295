/**
 * Migration 9: smaller rows of `jobs` (issue 16). Frozen once shipped.
 *
 * A job that does not fire for a long while costs what its row and its index
 * entries take; 100,000 jobs due in a month took 575 B each, three quarters
 * of it the heap: a row of ~310 B with a third of each page left free.
 *
 * - `definition` leaves out the defaults every stored definition carried, a
 *   `target` of `{"type":"handler"}` and an empty `metadata` (`job-encoding.ts`
 *   puts them back when a row is read): ~60 B of JSONB less for such a job.
 *   The metadata index (`jobs_metadata`) and the filter of `jobsListMetadata`
 *   name `definition -> 'metadata' <> '{}'`, which a missing key leaves out too.
 * - `hash` is bytes: the 32 of a SHA-256 digest in base64url, else the UTF-8
 *   text (a NUL appended when it is 32 bytes long), 33 B instead of 44.
 * - The counters (`fire_count`, the four of the statistics, `kept_count`) are
 *   NULL while they are 0, as for a job that never fired: 48 B less. The
 *   statements add to `coalesce(…, 0)` and store `nullif(…, 0)`; `rows.ts`
 *   reads NULL as 0.
 * - `jobs` leaves 30 % of each page free (was 35 %: migration 5). Measured on
 *   2,000 one-shots (`scripts/wal-per-phase.ts`) with the rows above: 2,679 B
 *   of WAL per one-shot at 65 %, 2,727 at 70, 2,809 at 75, 2,927 at 85, 3,093
 *   at 100 (2,793 before this migration); a full page sends a fire's plan and
 *   finish to another page. 100,000 idle jobs: 355, 335, 318, 290, 253 B each.
 *
 * The ALTER rewrites the table once, rows of a migrated schema included, and
 * writes wait for it.
 */
import type { Migration } from '../migrations.js';

const COUNTERS = [
  'fire_count',
  'succeeded_count',
  'failed_count',
  'missed_count',
  'skipped_count',
  'kept_count',
];

const sql = `
ALTER TABLE {{schema}}.jobs
  ALTER COLUMN definition TYPE jsonb USING
    CASE WHEN definition -> 'target' = '{"type":"handler"}' THEN definition - 'target' ELSE definition END
    - CASE WHEN definition -> 'metadata' = '{}' THEN 'metadata' ELSE '' END,
  ALTER COLUMN hash TYPE bytea USING
    CASE
      WHEN hash ~ '^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$'
        THEN decode(translate(hash, '-_', '+/') || '=', 'base64')
      WHEN octet_length(hash) = 32 THEN convert_to(hash, 'UTF8') || '\\x00'::bytea
      ELSE convert_to(hash, 'UTF8')
    END,
  ${COUNTERS.map(
    (c) => `ALTER COLUMN ${c} DROP NOT NULL, ALTER COLUMN ${c} DROP DEFAULT,
  ALTER COLUMN ${c} TYPE bigint USING nullif(${c}, 0)`,
  ).join(',\n  ')},
  SET (fillfactor = 70);
`;

/** Jobs' definitions without their defaults, hashes as bytes, zero counters NULL; fill factor 70. */
export const migration009: Migration = { version: 9, name: 'compact-jobs', sql };
