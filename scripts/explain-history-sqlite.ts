/**
 * The plans of the SQLite statements that read a job's executions by fire
 * time, on the table of `explain-history.ts` (2,000 jobs with 100 executions
 * each; `hot` with 20,000 fires, 2,000 manual triggers at the instant of one
 * fire and 500 pairs of manual triggers sharing an instant; fires inserted
 * oldest first, as a scheduler plans them), in memory: each
 * statement's EXPLAIN QUERY PLAN and the mean time of 20 runs of it (reads
 * only), without statistics and after ANALYZE; first the bytes per
 * execution of the table and of each of its indexes (`dbstat`).
 *
 *   npx tsx scripts/explain-history-sqlite.ts
 */
import Database from 'better-sqlite3';
import { migrate } from '../src/stores/sqlite/migrations.js';
import { SQL, PRUNE_BOUNDARY, PRUNE_BEYOND } from '../src/stores/sqlite/statements.js';

const T0 = Date.UTC(2030, 0, 1);
const M = 60_000;
const db = new Database(':memory:');
migrate(db, { location: ':memory:' });
/** The columns every seeded execution sets. */
const cols =
  'id, job_id, fire_at, run_at, trigger, status, attempt, lease_token, attempts, created_at, finished_at';
db.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 25000)
  INSERT INTO jobs (id, definition, paused, next_fire_at, version, created_at, updated_at)
  SELECT CASE WHEN i = 0 THEN 'hot' ELSE 'job-' || i END, '{}', 0, ${T0} + i, 1, ${T0}, ${T0} FROM n WHERE i <= 2000`);
const ins = db.prepare(
  `INSERT INTO executions (${cols}) VALUES (?, ?, ?, ?, ?, ?, 1, 1, '[]', ${T0}, ?)`,
);
db.transaction(() => {
  for (let i = 200_000; i >= 1; i--)
    ins.run(
      `e-${i}`,
      `job-${1 + (i % 2000)}`,
      T0 - i * 1000,
      T0 - i * 1000,
      'schedule',
      i % 10 === 0 ? 'scheduled' : 'succeeded',
      i % 10 === 0 ? null : T0 - i * 1000 + 500,
    );
  for (let i = 20_000; i >= 1; i--)
    ins.run(
      `h-${String(i).padStart(5, '0')}`,
      'hot',
      T0 - i * M,
      T0 - i * M,
      'schedule',
      'succeeded',
      T0 - i * M + 500,
    );
  for (let i = 1; i <= 2000; i++)
    ins.run(
      `m-${String(i).padStart(4, '0')}`,
      'hot',
      T0 - 10000 * M,
      T0 - 10000 * M,
      'manual',
      'succeeded',
      T0 - 10000 * M + 500,
    );
  for (let i = 1; i <= 20_000; i += 40)
    for (const k of [1, 2])
      ins.run(
        `p-${i}-${k}`,
        'hot',
        T0 - i * M - 30000,
        T0 - i * M - 30000,
        'manual',
        'failed',
        T0 - i * M - 29500,
      );
})();
const executions = (db.prepare('SELECT count(*) AS n FROM executions').get() as { n: number }).n;
const sizes = db
  .prepare(
    `SELECT name, sum(pgsize) AS bytes FROM dbstat
     WHERE name = 'executions' OR name IN (SELECT name FROM sqlite_schema WHERE tbl_name = 'executions')
     GROUP BY name ORDER BY name`,
  )
  .all() as { name: string; bytes: number }[];
console.log(`bytes per execution (${executions} executions):`);
for (const { name, bytes } of sizes)
  console.log(`  ${name.padEnd(28)} ${(bytes / executions).toFixed(1)}`);
const LIST = { status: null, before_fire_at: Number.MAX_SAFE_INTEGER, before_id: '', limit: 50 };
const cases: [string, string, Record<string, unknown>][] = [
  ['list hot first page', SQL.executionsListJob, { ...LIST, job_id: 'hot' }],
  [
    'list hot after m-1000',
    SQL.executionsListJob,
    { ...LIST, job_id: 'hot', before_fire_at: T0 - 10000 * M, before_id: 'm-1000' },
  ],
  [
    'list hot failed after p-1001-1',
    SQL.executionsListJob,
    {
      ...LIST,
      job_id: 'hot',
      status: 'failed',
      before_fire_at: T0 - 1001 * M - 30000,
      before_id: 'p-1001-1',
    },
  ],
  ['list job-7', SQL.executionsListJob, { ...LIST, job_id: 'job-7' }],
  ['prune boundary hot', PRUNE_BOUNDARY, { job_id: 'hot', keep_last: 100 }],
  [
    'prune beyond hot',
    PRUNE_BEYOND,
    { job_id: 'hot', fire_at: T0 - 100 * M, id: 'h-00100', limit: 500 },
  ],
  ['unfinishedBefore hot', SQL.unfinishedBefore, { job_id: 'hot', fire_at: T0, backfill: 0 }],
  ['dropPlanned hot', SQL.dropPlanned, { job_id: 'hot' }],
];
for (const analyzed of [false, true]) {
  if (analyzed) db.exec('ANALYZE');
  console.log(`\n==== ${analyzed ? 'analyzed' : 'no statistics'}`);
  for (const [label, sql, params] of cases) {
    const st = db.prepare(sql);
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[];
    let ms = 0;
    let rows = 0;
    if (st.reader) {
      const t = process.hrtime.bigint();
      for (let k = 0; k < 20; k++) rows = st.all(params).length;
      ms = Number(process.hrtime.bigint() - t) / 20e6;
    }
    console.log(
      `-- ${label}: ${rows} rows, ${ms.toFixed(3)} ms\n   ${plan.map((p) => p.detail).join('\n   ')}`,
    );
  }
}
