/**
 * Migration 1: the jobs and executions tables. Frozen once shipped: a change
 * of schema is a new migration, never an edit of this one.
 *
 * Times are INTEGER epoch milliseconds; JSON is TEXT. In `executions`, a NULL
 * `payload`, `result` or `error` means absent, while the JSON text `null` is a
 * value. `has_work` says whether the execution still has something to do
 * (scheduled, running, or failed with its onFailure delivery pending); it
 * feeds the claim index.
 */
import type { Migration } from '../migrations.js';

const sql = `
CREATE TABLE jobs (
  id           TEXT    PRIMARY KEY,
  definition   TEXT    NOT NULL CHECK (json_valid(definition)),
  hash         TEXT    NOT NULL,
  paused       INTEGER NOT NULL CHECK (paused IN (0, 1)),
  next_fire_at INTEGER,
  version      INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  completed_at INTEGER,
  last_outcome TEXT    CHECK (last_outcome IS NULL OR json_valid(last_outcome))
) STRICT;

-- jobsDue: unpaused jobs by next fire.
CREATE INDEX jobs_due ON jobs (next_fire_at)
  WHERE paused = 0 AND next_fire_at IS NOT NULL;

CREATE TABLE executions (
  id          TEXT    PRIMARY KEY,
  job_id      TEXT    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  fire_at     INTEGER NOT NULL,
  run_at      INTEGER NOT NULL,
  trigger     TEXT    NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  status      TEXT    NOT NULL CHECK (status IN
                ('scheduled', 'running', 'succeeded', 'failed', 'missed', 'skipped', 'cancelled')),
  attempt     INTEGER NOT NULL,
  payload     TEXT,
  lease_owner TEXT,
  lease_until INTEGER,
  lease_token INTEGER NOT NULL,
  attempts    TEXT    NOT NULL CHECK (json_valid(attempts)),
  result      TEXT,
  error       TEXT,
  on_failure  TEXT    CHECK (on_failure IN ('pending', 'delivered', 'failed')),
  created_at  INTEGER NOT NULL,
  started_at  INTEGER,
  finished_at INTEGER,
  has_work    INTEGER NOT NULL GENERATED ALWAYS AS (
    CASE WHEN status IN ('scheduled', 'running') OR (status = 'failed' AND on_failure = 'pending')
      THEN 1 ELSE 0 END
  ) VIRTUAL
) STRICT;

-- One execution per fire of a schedule; manual triggers are not fires.
CREATE UNIQUE INDEX executions_fire ON executions (job_id, fire_at)
  WHERE trigger = 'schedule';

-- executionsClaim: unleased work by due time.
CREATE INDEX executions_claimable ON executions (run_at)
  WHERE has_work = 1 AND lease_owner IS NULL;

-- executionsTakeOver: held leases by expiry.
CREATE INDEX executions_leased ON executions (lease_until)
  WHERE lease_owner IS NOT NULL;

-- A job's history newest first; also serves the cascade and the overlap check.
CREATE INDEX executions_job_recent ON executions (job_id, fire_at DESC, id DESC);

-- All executions newest first.
CREATE INDEX executions_recent ON executions (fire_at DESC, id DESC);
`;

/** The initial schema. */
export const migration001: Migration = { version: 1, name: 'initial', sql };
