/**
 * Migration 10: one index for a job's executions (issue 16). Frozen once shipped.
 *
 * `executions_fire (job_id, fire_at) WHERE trigger = 'schedule'` kept one
 * execution per fire of a schedule, and `executions_job_recent (job_id,
 * fire_at DESC, id DESC)` a job's history in order: every insert of an
 * execution wrote an entry into each, two keys that begin alike. One unique
 * index does both, `executions_job_fire (job_id, fire_at, scheduled)`, where
 * `scheduled` is `true` for a fire of the schedule and NULL for a manual
 * trigger: NULLs are distinct in a unique index, so two manual triggers of
 * one instant both insert and two fires of a schedule at one instant do not.
 * A job's history in `fire_at DESC, id DESC` order reads it backwards and
 * sorts only the executions of one instant by id (an incremental sort); the
 * executions of one instant are one fire and its manual triggers, a few rows.
 * The plans: docs/performance.md (2026-12-07).
 *
 * The index is built in this migration's transaction; writes wait for it.
 */
import type { Migration } from '../migrations.js';

const sql = `
-- One execution per fire of a schedule (the inserts' ON CONFLICT DO NOTHING);
-- a job's history by fire time: executionsListJob, executionsPrune (its boundary,
-- beyond and aged walks), the overlap rule of executionsStart (unfinishedBefore),
-- dropPlanned and the cascade of a job's delete.
CREATE UNIQUE INDEX executions_job_fire ON {{schema}}.executions
  (job_id, fire_at, (CASE WHEN trigger = 'schedule' THEN true END));
DROP INDEX {{schema}}.executions_fire;
DROP INDEX {{schema}}.executions_job_recent;
`;

/** One unique index on `(job_id, fire_at, scheduled)` instead of `executions_fire` and `executions_job_recent`. */
export const migration010: Migration = { version: 10, name: 'one-history-index', sql };
