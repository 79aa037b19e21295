/**
 * Where an idle Postgres job's bytes go: the bench's idle jobs (100,000 one-shots
 * due in a month, one written by the store and the others copied from it by the
 * database, as `bench/workloads/idle.ts` does), then bytes per job of each
 * relation of `jobs` and the average stored size of each column of a row.
 * The total is the bench's "bytes/job" without its 30 s idle window.
 *
 *   npx tsx scripts/idle-bytes.ts [jobs=100000]
 */
import pg from 'pg';
import { once } from '../src/index.js';
import { newJobRecord } from '../src/scheduler/job-records.js';
import { postgresCase } from '../bench/postgres-store.js';
import { DATABASE_URL } from '../bench/stores.js';
import { DAY_MS } from '../bench/workload.js';

const JOBS = Number(process.argv[2] ?? 100_000);
const storeCase = await postgresCase();
if (typeof storeCase === 'string') throw new Error(storeCase);
const made = await storeCase.make();
const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
try {
  await made.store.open();
  const now = Date.now();
  const template = newJobRecord(
    'idle',
    { id: 'idle', schedule: once(new Date(now + 30 * DAY_MS)) },
    now,
  );
  await made.insertJobs(template, 'idle-', JOBS);
  const { rows: found } = await admin.query<{ s: string }>(
    `SELECT table_schema AS s FROM information_schema.tables
     WHERE table_name = 'jobs' AND table_schema LIKE 'chime_bench_${process.pid}_%'`,
  );
  const schema = found[0]?.s;
  if (schema === undefined) throw new Error('no schema');
  const per = (bytes: string | number) => (Number(bytes) / JOBS).toFixed(1);
  const { rows: relations } = await admin.query<{ name: string; bytes: string }>(
    `SELECT c.relname AS name, pg_relation_size(c.oid) + coalesce(pg_relation_size(c.oid, 'fsm'), 0)
       + coalesce(pg_relation_size(c.oid, 'vm'), 0) AS bytes
     FROM pg_class c WHERE c.relnamespace = $1::regnamespace
       AND (c.oid = $2::regclass OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = $2::regclass))
     ORDER BY bytes DESC`,
    [`"${schema}"`, `"${schema}".jobs`],
  );
  console.log(
    `bytes per job (${JOBS} idle jobs): ${await made.bytesPerJob(JOBS)} (the bench's figure)`,
  );
  for (const { name, bytes } of relations) console.log(`  ${name.padEnd(24)} ${per(bytes)}`);
  const { rows: columns } = await admin.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute
     WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [`"${schema}".jobs`],
  );
  const sizes = columns.map((c) => `avg(coalesce(pg_column_size("${c.name}"), 0)) AS "${c.name}"`);
  const { rows: avg } = await admin.query<Record<string, string>>(
    `SELECT avg(pg_column_size(j.*)) AS "(row, with its header)", ${sizes.join(', ')}
     FROM "${schema}".jobs j`,
  );
  console.log('row: average stored bytes per column (NULL: 0)');
  for (const [name, bytes] of Object.entries(avg[0] ?? {}))
    console.log(`  ${name.padEnd(24)} ${Number(bytes).toFixed(1)}`);
  const { rows: sample } = await admin.query<{ definition: string }>(
    `SELECT definition::text FROM "${schema}".jobs LIMIT 1`,
  );
  console.log(`definition: ${sample[0]?.definition}`);
} finally {
  await admin.end();
  await made.store.close();
  await made.cleanup();
}
