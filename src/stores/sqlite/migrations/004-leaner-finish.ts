/**
 * Migration 4: one index fewer to change on each finish (issue 16). Frozen
 * once shipped.
 *
 * `executions_prunable` repeated `executions_job_recent` for finished rows;
 * the pruner walks a job's history by `executions_job_recent` and skips the
 * few executions that still have work. As on Postgres (its migration 4).
 */
import type { Migration } from '../migrations.js';

const sql = `
DROP INDEX executions_prunable;
`;

/** A finish adds one index entry fewer. */
export const migration004: Migration = { version: 4, name: 'leaner-finish', sql };
