/**
 * Migration 9: `jobs` without `hash`, as Postgres's migration 15. Frozen once
 * shipped.
 *
 * The column held a SHA-256 digest of the definition as the caller gave it
 * (44 B of base64url text), read only to tell an unchanged `ensureJob`; the
 * scheduler now compares the stored definition itself (docs/design-notes.md,
 * "Idempotent ensure"). SQLite rewrites every row of `jobs` without it, in
 * the migration's transaction; the pages freed go to the file's free list.
 */
import type { Migration } from '../migrations.js';

const sql = `
ALTER TABLE jobs DROP COLUMN hash;
`;

/** `jobs` without `hash`: an unchanged definition is told by comparing it. */
export const migration009: Migration = { version: 9, name: 'no-job-hash', sql };
