/**
 * Migration 7: one index for a job's executions (issue 16). Frozen once shipped.
 *
 * As Postgres's migration 10: `executions_fire (job_id, fire_at) WHERE
 * trigger = 'schedule'` and `executions_job_recent (job_id, fire_at DESC, id
 * DESC)` become one unique index, `executions_job_fire (job_id, fire_at,
 * scheduled)`, where `scheduled` is 1 for a fire of the schedule and NULL for
 * a manual trigger: NULLs are distinct in a unique index, so manual triggers
 * of one instant all insert and a schedule's fire of an instant once. A job's
 * history in `fire_at DESC, id DESC` order walks it and sorts only the
 * executions of one instant by id ("USE TEMP B-TREE FOR RIGHT PART OF ORDER
 * BY"). One index entry less per execution inserted.
 */
import type { Migration } from '../migrations.js';

const sql = `
-- One execution per fire of a schedule (executionInsert's ON CONFLICT DO NOTHING);
-- a job's history by fire time: executionsListJob, pruneBoundary, pruneBeyond,
-- unfinishedBefore (the overlap rule), dropPlanned and the cascade of a job's delete.
CREATE UNIQUE INDEX executions_job_fire ON executions
  (job_id, fire_at, (CASE WHEN trigger = 'schedule' THEN 1 END));
DROP INDEX executions_fire;
DROP INDEX executions_job_recent;
`;

/** One unique index on `(job_id, fire_at, scheduled)` instead of `executions_fire` and `executions_job_recent`. */
export const migration007: Migration = { version: 7, name: 'one-history-index', sql };
