/**
 * The Postgres store case of the bench: a schema of its own (dropped
 * afterwards) in the database at `CHIME_BENCH_DATABASE_URL` (default
 * `postgres://postgres@127.0.0.1:5432/test`). Bulk data is copied by the
 * database from one row the store wrote. When the server is unreachable the
 * case is skipped with a note.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresStore, type Store } from '../src/index.js';
import type { ExecutionRecord, JobRecord } from '../src/stores/store.js';
import { DATABASE_URL, copyOf, insertJobs, type Made, type StoreCase } from './stores.js';
import { postgresWrites } from './write-cost.js';

/** The same in Postgres (`g` numbers the copies). */
const COPY_POSTGRES: Record<string, string> = {
  id: `$1 || '-' || lpad(g::text, 6, '0')`,
  job_id: `$2 || (g % $3::int)`,
  fire_at: 'fire_at + g',
  run_at: 'run_at + g',
};

/** The Postgres case, or the reason it cannot run. */
export async function postgresCase(): Promise<StoreCase | string> {
  const probe = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2_000 });
  try {
    await probe.connect();
  } catch (err) {
    return `postgres skipped: ${DATABASE_URL} is unreachable (${err instanceof Error ? err.message : String(err)})`;
  } finally {
    await probe.end().catch(() => undefined);
  }
  return {
    name: 'postgres',
    burstSubmitGuessMs: 5_000,
    make: makePostgres,
    sharedTarget: async () => {
      const schema = freshSchema();
      const admin = adminPool();
      return {
        config: { store: 'postgres', databaseUrl: DATABASE_URL, schema },
        serverPids: () => backendsOf(admin, schema),
        executionRows: async () => {
          const { rows } = await admin.query<{ n: string }>(
            `SELECT count(*) AS n FROM "${schema}".executions`,
          );
          return Number(rows[0]?.n ?? 0);
        },
        cleanup: () => dropSchema(admin, schema),
      };
    },
  };
}

function freshSchema(): string {
  return `chime_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
}

function adminPool(): pg.Pool {
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  admin.on('error', () => undefined);
  return admin;
}

async function backendsOf(admin: pg.Pool, schema: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
    [schema],
  );
  return rows.map((row) => row.pid);
}

async function dropSchema(admin: pg.Pool, schema: string): Promise<void> {
  try {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.end();
  }
}

/** The columns of a Postgres table of `schema` that an insert may set, in order. */
async function postgresColumns(admin: pg.Pool, schema: string, table: string): Promise<string[]> {
  const { rows } = await admin.query<{ name: string }>(
    `SELECT column_name AS name FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = $2 AND is_generated = 'NEVER'
     ORDER BY ordinal_position`,
    [schema, table],
  );
  return rows.map((r) => r.name);
}

/** One job through the store, the others copied from it by the database. */
async function postgresInsertJobs(
  store: Store,
  admin: pg.Pool,
  schema: string,
  template: JobRecord,
  prefix: string,
  count: number,
): Promise<void> {
  await insertJobs(store, [{ ...template, id: `${prefix}0` }]);
  const table = `"${schema}".jobs`;
  const names = await postgresColumns(admin, schema, 'jobs');
  const columns = names
    .filter((name) => name !== 'id')
    .map((name) => `"${name}"`)
    .join(', ');
  await admin.query(
    `INSERT INTO ${table} (id, ${columns})
     SELECT $1 || g, ${columns}
     FROM ${table}, generate_series(1, $2::int - 1) AS g WHERE id = $1 || '0'`,
    [prefix, count],
  );
  await admin.query(`ANALYZE ${table}`);
}

/** The first execution through the store, the others copied from it by the database. */
async function postgresInsertExecutions(
  store: Store,
  admin: pg.Pool,
  schema: string,
  template: ExecutionRecord,
  count: number,
  jobs: number,
): Promise<void> {
  const first = copyOf(template, 0, jobs);
  await store.executionInsert({ execution: first });
  const executions = `"${schema}".executions`;
  const columns = await postgresColumns(admin, schema, 'executions');
  const values = columns.map((name) => COPY_POSTGRES[name] ?? `"${name}"`);
  await admin.query(
    `INSERT INTO ${executions} (${columns.map((c) => `"${c}"`).join(', ')})
     SELECT ${values.join(', ')}
     FROM ${executions}, generate_series(1, $5::int - 1) AS g WHERE id = $4`,
    [template.id, template.jobId, jobs, first.id, count],
  );
  // The store keeps the copies that have work in its table of work too (migration 8).
  await admin.query(
    `INSERT INTO "${schema}".work (id, job_id, run_at, held, lease_until)
     SELECT e.id, e.job_id, e.run_at, e.lease_owner IS NOT NULL, e.lease_until FROM ${executions} e
     WHERE e.has_work AND e.id <> $1 AND e.id LIKE $2 || '-%'`,
    [first.id, template.id],
  );
  await admin.query(`ANALYZE ${executions}, "${schema}".work`);
}

async function makePostgres(): Promise<Made> {
  const schema = freshSchema();
  const admin = adminPool();
  const store = postgresStore({ connectionString: DATABASE_URL, schema, applicationName: schema });
  return {
    store,
    cleanup: () => dropSchema(admin, schema),
    bytesPerJob: async (jobs) => {
      const { rows } = await admin.query<{ bytes: string }>(
        'SELECT pg_total_relation_size($1::regclass) AS bytes',
        [`"${schema}".jobs`],
      );
      return Math.round(Number(rows[0]?.bytes ?? 0) / jobs);
    },
    serverPids: () => backendsOf(admin, schema),
    insertJobs: (template, prefix, count) =>
      postgresInsertJobs(store, admin, schema, template, prefix, count),
    insertExecutions: (template, count, jobs) =>
      postgresInsertExecutions(store, admin, schema, template, count, jobs),
    writes: (closed) => postgresWrites(admin, schema, store, closed),
  };
}
