/**
 * The plans of the Postgres statements that read a job's executions by fire
 * time, on a table of realistic shape: 2,000 jobs with 100 executions each,
 * and one job (`hot`) with 20,000 fires of its schedule, 2,000 manual
 * triggers at the instant of one of its fires and 500 pairs of manual
 * triggers sharing an instant. Each statement runs under EXPLAIN (ANALYZE,
 * BUFFERS) in a transaction rolled back; the plans are printed without costs
 * or timings, then the rows and pages each read.
 *
 *   npx tsx scripts/explain-history.ts
 *
 * It migrates a scratch schema (dropped afterwards) of the database named by
 * CHIME_DATABASE_URL (default: the test database).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../src/stores/postgres/migrations.js';
import { bind, statementsFor, type StatementName } from '../src/stores/postgres/sql.js';

const URL = process.env.CHIME_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const T0 = Date.UTC(2030, 0, 1);
const MINUTE = 60_000;
const schema = `chime_explain_${randomBytes(4).toString('hex')}`;
const pool = new pg.Pool({ connectionString: URL, max: 1 });

const SEED = [
  `INSERT INTO "${schema}".jobs (id, definition, paused, next_fire_at, version, created_at,
     updated_at, kept_count)
   SELECT CASE WHEN i = 0 THEN 'hot' ELSE 'job-' || i END, '{"schedule":{"kind":"interval","every":"1m"}}',
     false, $1::bigint + i, 1, $1, $1, CASE WHEN i = 0 THEN 22999 ELSE 100 END
   FROM generate_series(0, 2000) i`,
  // 100 fires of each job, one in ten still due.
  `INSERT INTO "${schema}".executions (id, job_id, fire_at, run_at, trigger, status, attempt,
     lease_token, attempts, created_at, finished_at)
   SELECT 'e-' || i, 'job-' || (1 + i % 2000), $1::bigint - i * 1000, $1::bigint - i * 1000,
     'schedule', CASE WHEN i % 10 = 0 THEN 'scheduled' ELSE 'succeeded' END, 1, 1, '[]', $1,
     CASE WHEN i % 10 <> 0 THEN $1::bigint - i * 1000 + 500 END
   FROM generate_series(1, 200000) i`,
  // hot: 20,000 fires a minute apart, the newest one leased and running.
  `INSERT INTO "${schema}".executions (id, job_id, fire_at, run_at, trigger, status, attempt,
     lease_owner, lease_until, lease_token, attempts, created_at, finished_at)
   SELECT 'h-' || lpad(i::text, 5, '0'), 'hot', $1::bigint - i * ${MINUTE}, $1::bigint - i * ${MINUTE},
     'schedule', CASE WHEN i = 1 THEN 'scheduled' ELSE 'succeeded' END, CASE WHEN i = 1 THEN 0 ELSE 1 END,
     CASE WHEN i = 1 THEN 'x' END, CASE WHEN i = 1 THEN $1::bigint END, 1, '[]', $1,
     CASE WHEN i <> 1 THEN $1::bigint - i * ${MINUTE} + 500 END
   FROM generate_series(1, 20000) i`,
  // 2,000 manual triggers at the instant of the fire 'h-10000'.
  `INSERT INTO "${schema}".executions (id, job_id, fire_at, run_at, trigger, status, attempt,
     lease_token, attempts, created_at, finished_at)
   SELECT 'm-' || lpad(i::text, 4, '0'), 'hot', $1::bigint - 10000 * ${MINUTE}, $1::bigint - 10000 * ${MINUTE},
     'manual', 'succeeded', 1, 1, '[]', $1, $1::bigint - 10000 * ${MINUTE} + 500
   FROM generate_series(1, 2000) i`,
  // 500 pairs of manual triggers sharing an instant, between the fires.
  `INSERT INTO "${schema}".executions (id, job_id, fire_at, run_at, trigger, status, attempt,
     lease_token, attempts, created_at, finished_at)
   SELECT 'p-' || i || '-' || k, 'hot', $1::bigint - i * ${MINUTE} - 30000, $1::bigint - i * ${MINUTE} - 30000,
     'manual', 'failed', 1, 1, '[]', $1, $1::bigint - i * ${MINUTE} - 29500
   FROM generate_series(1, 20000, 40) i, generate_series(1, 2) k`,
  `INSERT INTO "${schema}".work (id, job_id, run_at, held, lease_until)
   SELECT id, job_id, run_at, lease_owner IS NOT NULL, lease_until FROM "${schema}".executions
   WHERE has_work`,
  `ANALYZE "${schema}".jobs, "${schema}".executions, "${schema}".work`,
];

const LIST = { status: null, before_fire_at: Number.MAX_SAFE_INTEGER, before_id: '', limit: 50 };
const PRUNE = {
  job_id: 'hot',
  keep_last: 100,
  max_age: 7 * 24 * 60 * MINUTE,
  cutoff: T0 - 7 * 24 * 60 * MINUTE,
  now: T0,
  limit: 500,
  expected_prune_after: null,
  prune_delay_ms: 1,
};

/** The statements and bindings shown, by label. */
const CASES: [string, StatementName, Record<string, unknown>][] = [
  ['history of hot, first page of 50', 'executionsListJob', { ...LIST, job_id: 'hot' }],
  [
    'history of hot, the page after m-1000 (inside the 2,001 executions of one instant)',
    'executionsListJob',
    { ...LIST, job_id: 'hot', before_fire_at: T0 - 10_000 * MINUTE, before_id: 'm-1000' },
  ],
  [
    'history of hot, failed only, the page after p-1001-1',
    'executionsListJob',
    {
      ...LIST,
      job_id: 'hot',
      status: 'failed',
      before_fire_at: T0 - 1001 * MINUTE - 30_000,
      before_id: 'p-1001-1',
    },
  ],
  ['history of job-7, first page of 50', 'executionsListJob', { ...LIST, job_id: 'job-7' }],
  ['a pruning pass over hot (keep 100, 500 at most)', 'executionsPrune', PRUNE],
  [
    'a pruning pass over job-7 (keep 10)',
    'executionsPrune',
    { ...PRUNE, job_id: 'job-7', keep_last: 10 },
  ],
  [
    "start of hot's newest fire with overlap: forbid (the overlap rule)",
    'executionsStart',
    {
      ids: ['h-00001'],
      lease_tokens: [1],
      attempts: [1],
      started_ats: [T0],
      unless_overlappings: [true],
      abandoned: [null],
    },
  ],
  [
    'an update of hot that drops its planned fires',
    'jobUpdate',
    {
      id: 'hot',
      expected_version: 1,
      drop_planned: true,
      definition: '{"schedule":{"kind":"interval","every":"2m"}}',
      paused: false,
      next_fire_at: T0,
      version: 2,
      created_at: T0,
      updated_at: T0,
      last_outcome: null,
      stale_after_ms: null,
      completed_at: null,
      notify_within_ms: 0,
      channel: 'x',
      now: T0,
    },
  ],
  [
    'the delete of hot (its executions by job)',
    'jobDelete',
    { id: 'hot', notify_within_ms: 0, channel: 'x' },
  ],
];

try {
  await migrate(pool, { schema });
  for (const sql of SEED) await pool.query(sql.includes('$1') ? { text: sql, values: [T0] } : sql);
  const statements = statementsFor(schema);
  const client = await pool.connect();
  try {
    for (const [label, name, values] of CASES) {
      const statement = statements[name];
      const wanted = Object.fromEntries(statement.params.map((p) => [p, values[p]]));
      const query = bind(statement, wanted as Parameters<typeof bind>[1]);
      await client.query('BEGIN');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>({
        text: `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) ${query.text}`,
        values: query.values,
      });
      await client.query('ROLLBACK');
      console.log(`\n-- ${label} (${name})`);
      for (const row of rows) console.log(row['QUERY PLAN']);
    }
  } finally {
    client.release();
  }
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
}
