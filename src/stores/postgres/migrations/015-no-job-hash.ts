/**
 * Migration 15: `jobs` without `hash`, and 20 % of each page left free
 * instead of 25 (issue 16). Frozen once shipped.
 *
 * The column held a SHA-256 digest of the definition as the caller gave it,
 * 33 B of a job's 144 B row, read only to tell an unchanged `ensureJob`; the
 * scheduler now compares the stored definition itself (docs/design-notes.md,
 * "Idempotent ensure"). A one-shot's row is 112 B.
 *
 * The fill factor is chosen again for the smaller row, by migration 9's rule:
 * the fullest whose WAL per one-shot stays below what it was before (2,352 B).
 * Measured (100,000 idle one-shots as the bench stores them,
 * `scripts/idle-bytes.ts`; WAL per one-shot, `scripts/wal-per-phase.ts 2000`):
 *
 *   fill factor          75     80     85    100
 *   WAL per one-shot  2,280  2,318  2,375  2,485
 *   idle job (B)        220    209    201    180
 *
 * Dropping a column changes the catalog only, and so does the fill factor
 * (pages filled from now on): no rewrite, no index rebuilt. A row written
 * before keeps its digest's bytes until its next update (a plan, a finish,
 * a job write rewrites it without them); `VACUUM FULL` reclaims them at once.
 */
import type { Migration } from '../migrations.js';

const sql = `
ALTER TABLE {{schema}}.jobs DROP COLUMN hash, SET (fillfactor = 80);
`;

/** `jobs` without `hash` (an unchanged definition is told by comparing it); fill factor 80. */
export const migration015: Migration = { version: 15, name: 'no-job-hash', sql };
