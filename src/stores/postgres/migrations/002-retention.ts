/**
 * Migration 2: bounded history. Frozen once shipped.
 *
 * Jobs gain what the store keeps for them through the pruning of their
 * executions — run statistics, `stale_since`, `prune_after` — plus
 * `stale_after_ms` (from the definition) and `kept_count`, the number of the
 * job's prunable executions (not exposed: it decides when the pruner looks).
 * `stale_at` (generated) is when the job goes stale, NULL when it cannot.
 *
 * A prunable execution (rules.ts isPrunable) is one without work left:
 * `NOT has_work`. Its two partial indexes serve `executionsPrune`: by fire
 * (keepLast, oldest first) and by finish time (maxAge, the oldest kept one).
 *
 * Jobs of a schema migrated with history get their statistics and kept count
 * from the executions it holds, and — when they keep any — a `prune_after` of
 * 0, so the pruner looks at them first and plans the next look under their
 * retention. The indexes are built inside the migration's transaction (not
 * CONCURRENTLY): writes to the tables wait while they are built.
 */
import type { Migration } from '../migrations.js';

const sql = `
ALTER TABLE {{schema}}.jobs
  ADD COLUMN stale_after_ms  bigint,
  ADD COLUMN last_fire_at    bigint,
  ADD COLUMN last_success_at bigint,
  ADD COLUMN last_failure_at bigint,
  ADD COLUMN succeeded_count bigint NOT NULL DEFAULT 0,
  ADD COLUMN failed_count    bigint NOT NULL DEFAULT 0,
  ADD COLUMN missed_count    bigint NOT NULL DEFAULT 0,
  ADD COLUMN skipped_count   bigint NOT NULL DEFAULT 0,
  ADD COLUMN stale_since     bigint,
  ADD COLUMN prune_after     bigint,
  ADD COLUMN kept_count      bigint NOT NULL DEFAULT 0;

UPDATE {{schema}}.jobs j SET
  succeeded_count = h.succeeded, failed_count = h.failed, missed_count = h.missed,
  skipped_count = h.skipped, last_success_at = h.last_success_at,
  last_failure_at = h.last_failure_at, last_fire_at = h.last_fire_at,
  kept_count = h.kept, prune_after = CASE WHEN h.kept > 0 THEN 0 END
FROM (
  SELECT job_id,
    count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
    count(*) FILTER (WHERE status = 'failed') AS failed,
    count(*) FILTER (WHERE status = 'missed') AS missed,
    count(*) FILTER (WHERE status = 'skipped') AS skipped,
    max(finished_at) FILTER (WHERE status = 'succeeded') AS last_success_at,
    max(finished_at) FILTER (WHERE status = 'failed') AS last_failure_at,
    max(fire_at) FILTER (WHERE status IN ('succeeded', 'failed')) AS last_fire_at,
    count(*) FILTER (WHERE NOT has_work) AS kept
  FROM {{schema}}.executions GROUP BY job_id
) h
WHERE j.id = h.job_id;

ALTER TABLE {{schema}}.jobs
  ADD COLUMN stale_at bigint GENERATED ALWAYS AS (coalesce(last_success_at, created_at) + stale_after_ms) STORED;

-- executionsPrune: a job's prunable executions newest first (keepLast counts from the newest).
CREATE INDEX executions_prunable ON {{schema}}.executions (job_id, fire_at DESC, id DESC)
  WHERE NOT has_work;

-- executionsPrune: a job's prunable executions by finish time (maxAge, the oldest kept one).
CREATE INDEX executions_prunable_age ON {{schema}}.executions (job_id, finished_at)
  WHERE NOT has_work;

-- jobsToPrune: jobs by the pruner's next look.
CREATE INDEX jobs_prune ON {{schema}}.jobs (prune_after, id)
  WHERE prune_after IS NOT NULL;

-- jobsStale: unpaused, uncompleted jobs not yet marked stale, by when they go stale.
CREATE INDEX jobs_stale ON {{schema}}.jobs (stale_at, id)
  WHERE stale_at IS NOT NULL AND stale_since IS NULL AND NOT paused AND completed_at IS NULL;
`;

/** Run statistics, staleness and the pruning of executions. */
export const migration002: Migration = { version: 2, name: 'retention', sql };
