/**
 * Migration 15: `jobs` without `hash` (issue 16). Frozen once shipped.
 *
 * The column held a SHA-256 digest of the definition as the caller gave it,
 * 33 B of a job's 144 B row, read only to tell an unchanged `ensureJob`; the
 * scheduler now compares the stored definition itself (docs/design-notes.md,
 * "Idempotent ensure"). An idle one-shot takes 220 B instead of 262 (all its
 * relations, `scripts/idle-bytes.ts`).
 *
 * Dropping a column changes the catalog only: no rewrite, no index rebuilt,
 * and writes wait only for the catalog lock. A row written before keeps its
 * digest's bytes until its next update (every plan, finish or job write
 * rewrites the row without them); `VACUUM FULL` reclaims them at once.
 */
import type { Migration } from '../migrations.js';

const sql = `
ALTER TABLE {{schema}}.jobs DROP COLUMN hash;
`;

/** `jobs` without `hash`: an unchanged definition is told by comparing it. */
export const migration015: Migration = { version: 15, name: 'no-job-hash', sql };
