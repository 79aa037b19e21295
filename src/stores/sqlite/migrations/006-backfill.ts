/**
 * Migration 6: backfilled fires (issue 19). Frozen once shipped.
 *
 * `backfill` marks an execution a backfill added (`backfillJob`) for a fire
 * of its job's schedule: the same `(job_id, fire_at)` uniqueness as every
 * fire, but it runs however late it is, and a pause or a schedule change does
 * not drop it. Executions of a migrated database are not backfills.
 */
import type { Migration } from '../migrations.js';

const sql = `ALTER TABLE executions ADD COLUMN backfill INTEGER NOT NULL DEFAULT 0;`;

/** The backfill mark of an execution. */
export const migration006: Migration = { version: 6, name: 'backfill', sql };
