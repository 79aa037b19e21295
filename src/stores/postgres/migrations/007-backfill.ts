/**
 * Migration 7: backfilled fires (issue 19). Frozen once shipped.
 *
 * `backfill` marks an execution a backfill added (`backfillJob`) for a fire
 * of its job's schedule: the same `(job_id, fire_at)` uniqueness as every
 * fire, but it runs however late it is, and a pause or a schedule change does
 * not drop it. Executions of a migrated schema are not backfills; a column
 * with a constant default is added without rewriting the table.
 */
import type { Migration } from '../migrations.js';

const sql = `ALTER TABLE {{schema}}.executions ADD COLUMN backfill boolean NOT NULL DEFAULT false;`;

/** The backfill mark of an execution. */
export const migration007: Migration = { version: 7, name: 'backfill', sql };
