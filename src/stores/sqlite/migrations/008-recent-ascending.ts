/**
 * Migration 8: `executions_recent` in ascending order (issue 16), as Postgres's
 * migration 13. Frozen once shipped.
 *
 * The index of all executions newest first (`executionsListAll`) was built
 * `(fire_at DESC, id DESC)`. Fires are inserted in rising fire time, so each
 * went to the index's first page, which SQLite splits as any page in the
 * middle of a tree; an insert at the last page takes its quick balance
 * instead, which leaves full pages behind. Built `(fire_at, id)`, the list
 * walks the index backwards, in the same order. Measured: 100,000 rows
 * inserted in rising fire time took 964 index pages instead of 1,705, and
 * a one-shot's run writes ~90 B less (`scripts/sqlite-writes-per-fire.ts`).
 */
import type { Migration } from '../migrations.js';

const sql = `
-- All executions newest first (executionsListAll), walked backwards.
DROP INDEX executions_recent;
CREATE INDEX executions_recent ON executions (fire_at, id);
`;

/** `executions_recent` rebuilt as `(fire_at, id)`, walked backwards. */
export const migration008: Migration = { version: 8, name: 'recent-ascending', sql };
