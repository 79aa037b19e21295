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
 * `has_work = 0`. Its two partial indexes serve `executionsPrune`: by fire
 * (keepLast, oldest first) and by finish time (maxAge, the oldest kept one).
 *
 * Jobs of a database migrated with history get their statistics and kept
 * count from the executions it holds, and — when they keep any — a
 * `prune_after` of 0, so the pruner looks at them first and plans the next
 * look under their retention.
 */
import type { Migration } from '../migrations.js';

const sql = `
ALTER TABLE jobs ADD COLUMN stale_after_ms  INTEGER;
ALTER TABLE jobs ADD COLUMN last_fire_at    INTEGER;
ALTER TABLE jobs ADD COLUMN last_success_at INTEGER;
ALTER TABLE jobs ADD COLUMN last_failure_at INTEGER;
ALTER TABLE jobs ADD COLUMN succeeded_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN failed_count    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN missed_count    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN skipped_count   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN stale_since     INTEGER;
ALTER TABLE jobs ADD COLUMN prune_after     INTEGER;
ALTER TABLE jobs ADD COLUMN kept_count      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN stale_at        INTEGER GENERATED ALWAYS AS (
  coalesce(last_success_at, created_at) + stale_after_ms
) VIRTUAL;

UPDATE jobs SET
  succeeded_count = (SELECT count(*) FROM executions e WHERE e.job_id = jobs.id AND e.status = 'succeeded'),
  failed_count    = (SELECT count(*) FROM executions e WHERE e.job_id = jobs.id AND e.status = 'failed'),
  missed_count    = (SELECT count(*) FROM executions e WHERE e.job_id = jobs.id AND e.status = 'missed'),
  skipped_count   = (SELECT count(*) FROM executions e WHERE e.job_id = jobs.id AND e.status = 'skipped'),
  last_success_at = (SELECT max(finished_at) FROM executions e WHERE e.job_id = jobs.id AND e.status = 'succeeded'),
  last_failure_at = (SELECT max(finished_at) FROM executions e WHERE e.job_id = jobs.id AND e.status = 'failed'),
  last_fire_at    = (SELECT max(fire_at) FROM executions e
                      WHERE e.job_id = jobs.id AND e.status IN ('succeeded', 'failed')),
  kept_count      = (SELECT count(*) FROM executions e WHERE e.job_id = jobs.id AND e.has_work = 0),
  prune_after     = CASE WHEN EXISTS (SELECT 1 FROM executions e WHERE e.job_id = jobs.id AND e.has_work = 0)
                      THEN 0 END;

-- executionsPrune: a job's prunable executions newest first (keepLast counts from the newest).
CREATE INDEX executions_prunable ON executions (job_id, fire_at DESC, id DESC)
  WHERE has_work = 0;

-- executionsPrune: a job's prunable executions by finish time (maxAge, the oldest kept one).
CREATE INDEX executions_prunable_age ON executions (job_id, finished_at)
  WHERE has_work = 0;

-- jobsToPrune: jobs by the pruner's next look.
CREATE INDEX jobs_prune ON jobs (prune_after, id)
  WHERE prune_after IS NOT NULL;

-- jobsStale: unpaused, uncompleted jobs not yet marked stale, by when they go stale.
CREATE INDEX jobs_stale ON jobs (stale_at, id)
  WHERE stale_at IS NOT NULL AND stale_since IS NULL AND paused = 0 AND completed_at IS NULL;
`;

/** Run statistics, staleness and the pruning of executions. */
export const migration002: Migration = { version: 2, name: 'retention', sql };
