/**
 * Migration 13: `executions_recent` in ascending order (issue 16). Frozen once shipped.
 *
 * The index of all executions newest first (`executionsListAll`) was built
 * `(fire_at DESC, id DESC)`. Fires are inserted in rising fire time, so each
 * went to the index's first leaf, and a first leaf that fills is split in
 * half: ~4 KB of WAL per split, a split every ~70 fires, and leaves left half
 * empty. Built `(fire_at, id)`, the inserts go to the last leaf, whose split
 * keeps it nearly full and moves little; the list reads the index backwards,
 * in the same order.
 *
 * The index is built in this migration's transaction; writes wait for it.
 */
import type { Migration } from '../migrations.js';

const sql = `
-- All executions newest first (executionsListAll), read backwards.
CREATE INDEX executions_recent_ascending ON {{schema}}.executions (fire_at, id);
DROP INDEX {{schema}}.executions_recent;
ALTER INDEX {{schema}}.executions_recent_ascending RENAME TO executions_recent;
`;

/** `executions_recent` rebuilt as `(fire_at, id)`, read backwards. */
export const migration013: Migration = { version: 13, name: 'recent-ascending', sql };
