/**
 * Migration 1: the jobs and executions tables. Frozen once shipped: a change
 * of schema is a new migration, never an edit of this one.
 *
 * `{{schema}}` stands for the store's schema; the migrator replaces it with
 * the name as the validating quoter returned it (`identifiers.ts`), nothing
 * else. Times are BIGINT epoch milliseconds chosen by the engine; JSON is
 * JSONB. In `executions`, a NULL `payload`, `result` or `error` means absent,
 * while the JSON `null` is a value. Ids use the "C" collation, so they sort by
 * code point as JavaScript does, whatever the database's locale.
 */
import type { Migration } from '../migrations.js';

const sql = `
CREATE TABLE {{schema}}.jobs (
  id           text COLLATE "C" PRIMARY KEY,
  definition   jsonb   NOT NULL CHECK (jsonb_typeof(definition) = 'object'),
  hash         text    NOT NULL,
  paused       boolean NOT NULL,
  next_fire_at bigint,
  version      integer NOT NULL,
  created_at   bigint  NOT NULL,
  updated_at   bigint  NOT NULL,
  completed_at bigint,
  last_outcome jsonb
);

-- jobsDue: unpaused jobs by next fire.
CREATE INDEX jobs_due ON {{schema}}.jobs (next_fire_at)
  WHERE NOT paused AND next_fire_at IS NOT NULL;

-- jobsList's metadata filter: containment (@>) of the wanted key/value pairs.
CREATE INDEX jobs_metadata ON {{schema}}.jobs USING gin ((definition -> 'metadata') jsonb_path_ops);

CREATE TABLE {{schema}}.executions (
  id          text COLLATE "C" PRIMARY KEY,
  job_id      text COLLATE "C" NOT NULL REFERENCES {{schema}}.jobs (id) ON DELETE CASCADE,
  fire_at     bigint  NOT NULL,
  run_at      bigint  NOT NULL,
  trigger     text    NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  status      text    NOT NULL CHECK (status IN
                ('scheduled', 'running', 'succeeded', 'failed', 'missed', 'skipped', 'cancelled')),
  attempt     integer NOT NULL,
  payload     jsonb,
  lease_owner text,
  lease_until bigint,
  lease_token bigint  NOT NULL,
  attempts    jsonb   NOT NULL CHECK (jsonb_typeof(attempts) = 'array'),
  result      jsonb,
  error       jsonb,
  on_failure  text    CHECK (on_failure IN ('pending', 'delivered', 'failed')),
  created_at  bigint  NOT NULL,
  started_at  bigint,
  finished_at bigint,
  -- Whether the execution still has something to do; feeds the claim index.
  has_work    boolean NOT NULL GENERATED ALWAYS AS (
    status IN ('scheduled', 'running') OR (status = 'failed' AND on_failure IS NOT DISTINCT FROM 'pending')
  ) STORED
);

-- One execution per fire of a schedule; manual triggers are not fires.
CREATE UNIQUE INDEX executions_fire ON {{schema}}.executions (job_id, fire_at)
  WHERE trigger = 'schedule';

-- executionsClaim: unleased work by due time.
CREATE INDEX executions_claimable ON {{schema}}.executions (run_at)
  WHERE has_work AND lease_owner IS NULL;

-- executionsTakeOver: held leases by expiry.
CREATE INDEX executions_leased ON {{schema}}.executions (lease_until)
  WHERE lease_owner IS NOT NULL;

-- A job's history newest first; also serves the cascade and the overlap check.
CREATE INDEX executions_job_recent ON {{schema}}.executions (job_id, fire_at DESC, id DESC);

-- All executions newest first.
CREATE INDEX executions_recent ON {{schema}}.executions (fire_at DESC, id DESC);
`;

/** The initial schema. */
export const migration001: Migration = { version: 1, name: 'initial', sql };
