/**
 * Migration 14: a smaller row for a job that has not fired (issue 16). Frozen
 * once shipped.
 *
 * A job due in a month costs its row and its index entries until then; the
 * bench's 100,000 such jobs took 336 B each, 273 B of it the heap (a 184 B row
 * with 30 % of each page left free), 55 B the primary key.
 *
 * - `definition` is `json`: the text the store writes, 61 B for a one-shot's
 *   `{"schedule":{"kind":"once","at":"…"}}` where JSONB took 75. No statement
 *   looks inside it but the list's filters; the metadata filter casts the
 *   metadata to JSONB, and so does `jobs_metadata`, rebuilt on that expression,
 *   over the jobs that have metadata (the key is absent otherwise: migration 9).
 * - A one-shot's `at` is epoch ms when it is an instant's canonical ISO text
 *   (`job-encoding.ts`), 13 B instead of 26: the definition above takes 48.
 *   Here a text is converted when Postgres prints it back the same (a 60th
 *   second it would carry into the next minute stays text, as in JavaScript).
 * - `updated_at` is NULL while it equals `created_at`, and `version` while it
 *   is 1: a job never changed since its insert. `rows.ts` reads them back; the compare-and-sets
 *   compare `coalesce(version, 1)`.
 * - `jobs` leaves 25 % of each page free (was 30 %: migration 9).
 *
 * A one-shot's row is 144 B instead of 184. Measured (100,000 idle one-shots
 * as the bench stores them, `scripts/idle-bytes.ts`; WAL per one-shot,
 * `scripts/wal-per-phase.ts 2000`; 2,378 B and 336 B before):
 *
 *   fill factor         70     75     80     85    100
 *   WAL per one-shot  2,290  2,352  2,403  2,460  2,582
 *   idle job (B)        278    262    249    241    212
 *
 * 75 is the fullest below the WAL before: a plan or a finish batch rewrites
 * every row of a page at once, and a page without room for them moves them.
 *
 * The ALTER rewrites the table once and rebuilds its indexes, in this
 * migration's transaction; writes wait for it. Definitions converted keep the
 * spacing JSONB prints; those written after are compact.
 */
import type { Migration } from '../migrations.js';

const CANONICAL = `'^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$'`;
const AT = `definition #>> '{schedule,at}'`;
/** The instant read as UTC and printed back: the text itself when it is canonical (not a 60th second). */
const PRINTED = `to_char((${AT})::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const sql = `
DROP INDEX {{schema}}.jobs_metadata;
ALTER TABLE {{schema}}.jobs
  DROP CONSTRAINT jobs_definition_check,
  ALTER COLUMN definition TYPE json USING (CASE
      WHEN definition #>> '{schedule,kind}' = 'once'
        AND jsonb_typeof(definition #> '{schedule,at}') = 'string' AND ${AT} ~ ${CANONICAL}
      THEN CASE WHEN ${PRINTED} = ${AT}
        THEN jsonb_set(definition, '{schedule,at}',
          to_jsonb((extract(epoch FROM (${AT})::timestamptz) * 1000)::bigint))
        ELSE definition END
      ELSE definition END)::json,
  ADD CONSTRAINT jobs_definition_check CHECK (json_typeof(definition) = 'object'),
  ALTER COLUMN updated_at DROP NOT NULL,
  ALTER COLUMN updated_at TYPE bigint USING nullif(updated_at, created_at),
  ALTER COLUMN version DROP NOT NULL,
  ALTER COLUMN version TYPE integer USING nullif(version, 1),
  SET (fillfactor = 75);
-- jobsListMetadata: containment (@>) of the wanted key/value pairs, jobs with metadata only.
CREATE INDEX jobs_metadata ON {{schema}}.jobs USING gin (((definition -> 'metadata')::jsonb) jsonb_path_ops)
  WHERE definition -> 'metadata' IS NOT NULL;
`;

/** Definitions as `json` (one-shot instants in ms); `updated_at`, `version` NULL while unchanged; fill factor 75. */
export const migration014: Migration = { version: 14, name: 'lean-idle-jobs', sql };
