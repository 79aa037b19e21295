/**
 * Where a one-shot job's WAL goes on Postgres, phase by phase: N one-shots
 * submitted, planned and claimed (their handlers held until all started),
 * then finished. Reads the WAL with `pg_waldump` and counts only the records
 * of this run's schema's tables and indexes, so other work on the server does
 * not blur the figure (the bench's WAL figure is the whole server's).
 * Needs read access to the server's WAL directory (a local server).
 *
 *   npx tsx scripts/wal-per-phase.ts [jobs=2000]
 *   CHIME_WAL_DIR=/var/lib/postgresql/15/main/pg_wal PG_WALDUMP=/usr/lib/postgresql/15/bin/pg_waldump
 */
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { createScheduler, once, postgresStore } from '../src/index.js';

const JOBS = Number(process.argv[2] ?? 2_000);
const URL = process.env.CHIME_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const WAL_DIR = process.env.CHIME_WAL_DIR ?? '/var/lib/postgresql/15/main/pg_wal';
const WALDUMP = process.env.PG_WALDUMP ?? '/usr/lib/postgresql/15/bin/pg_waldump';
const schema = `chime_wal_${process.pid}`;
const admin = new pg.Pool({ connectionString: URL });

async function lsn(): Promise<string> {
  const { rows } = await admin.query<{ l: string }>('SELECT pg_current_wal_lsn() AS l');
  return rows[0]?.l ?? '0/0';
}

/** Bytes per job of this schema's relations between two LSNs, by record kind and relation. */
async function phase(label: string, from: string, to: string): Promise<void> {
  const records = execFileSync(WALDUMP, ['-p', WAL_DIR, '-s', from, '-e', to], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const names = new Map(
    (
      await admin.query<{ f: string; name: string }>(
        `SELECT relfilenode::text AS f, relname AS name FROM pg_class
         WHERE relnamespace = $1::regnamespace AND relfilenode <> 0`,
        [`"${schema}"`],
      )
    ).rows.map((r) => [r.f, r.name]),
  );
  const kinds = new Map<string, { n: number; bytes: number }>();
  let total = 0;
  for (const line of records.split('\n')) {
    const record = /rmgr: (\w+)\s+len \(rec\/tot\):\s+\d+\/\s*(\d+),.*desc: (\w+)/.exec(line);
    const name = names.get(/rel \d+\/\d+\/(\d+)/.exec(line)?.[1] ?? '');
    if (!record || name === undefined) continue;
    const bytes = Number(record[2]);
    total += bytes;
    const key = `${record[1]}/${record[3]} ${name}`;
    const kind = kinds.get(key) ?? { n: 0, bytes: 0 };
    kind.n++;
    kind.bytes += bytes;
    kinds.set(key, kind);
  }
  console.log(`\n${label}: ${Math.round(total / JOBS)} B/job`);
  const top = [...kinds].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 12);
  for (const [key, { n, bytes }] of top) {
    console.log(
      `  ${key.padEnd(48)} ${(n / JOBS).toFixed(2)} records ${Math.round(bytes / JOBS)} B`,
    );
  }
}

/** Bytes per job of each table of the schema (heap only, and with its indexes) once all finished. */
async function sizes(): Promise<void> {
  const { rows } = await admin.query<{ name: string; heap: string; total: string }>(
    `SELECT relname AS name, pg_relation_size(oid)::text AS heap,
       pg_total_relation_size(oid)::text AS total
     FROM pg_class WHERE relnamespace = $1::regnamespace AND relkind = 'r' ORDER BY relname`,
    [`"${schema}"`],
  );
  console.log('\nstored, per job: heap / with indexes');
  for (const { name, heap, total } of rows) {
    const perJob = (bytes: string) => Math.round(Number(bytes) / JOBS);
    console.log(`  ${name.padEnd(20)} ${perJob(heap)} B / ${perJob(total)} B`);
  }
}

const store = postgresStore({ connectionString: URL, schema });
const scheduler = createScheduler({ store, concurrency: JOBS + 10 });
let release!: () => void;
const held = new Promise<void>((resolve) => (release = resolve));
let started = 0;
let finished = 0;
let allStarted!: () => void;
let allFinished!: () => void;
const startedAll = new Promise<void>((resolve) => (allStarted = resolve));
const finishedAll = new Promise<void>((resolve) => (allFinished = resolve));
scheduler.handle('held', async () => {
  if (++started === JOBS) allStarted();
  await held;
});
scheduler.on('execution:succeeded', () => {
  if (++finished === JOBS) allFinished();
});
try {
  await scheduler.start();
  await admin.query('CHECKPOINT');
  const at = new Date(Date.now() + 3_000);
  const target = { type: 'handler', name: 'held' } as const;
  const l0 = await lsn();
  await scheduler.submitJobs(
    Array.from({ length: JOBS }, (_, i) => ({ id: `once-${i}`, schedule: once(at), target })),
  );
  const l1 = await lsn();
  await startedAll;
  const l2 = await lsn();
  release();
  await finishedAll;
  await scheduler.stop();
  const l3 = await lsn();
  await phase('submit', l0, l1);
  await phase('plan and claim', l1, l2);
  await phase('finish', l2, l3);
  await phase('all', l0, l3);
  await sizes();
} finally {
  await scheduler.stop();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}
