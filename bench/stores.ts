/**
 * The stores the bench runs on, each made fresh for every run: a new memory
 * store, a temporary SQLite file (deleted afterwards), a Postgres schema of
 * its own (dropped afterwards). Each case also says what only its backend can
 * tell (stored bytes, the server processes' pids), inserts bulk data the
 * fastest way the backend allows, and — for the workloads of several
 * processes — makes a store the processes can share.
 *
 * Postgres: `postgres-store.ts`; NATS: `nats-store.ts`.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { memoryStore, sqliteStore, type Store } from '../src/index.js';
import type { ExecutionRecord, JobRecord } from '../src/stores/store.js';
import type { WorkerConfig } from './worker.js';
import { storeWrites, type Writes } from './write-cost.js';
import { natsCase } from './nats-store.js';
import { postgresCase } from './postgres-store.js';

export const DATABASE_URL =
  process.env['CHIME_BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The stores, in the order of the table. */
export const STORES = ['memory', 'sqlite', 'postgres', 'nats'] as const;

/** A store made fresh for one run, with what only its backend can tell. */
export interface Made {
  store: Store;
  cleanup: () => Promise<void>;
  /** Stored bytes per job (table and indexes, or the database file), after the jobs are in. */
  bytesPerJob: (jobs: number) => Promise<number | string>;
  /** The database server processes serving this store, for their CPU time. */
  serverPids: () => Promise<number[]>;
  /** Inserts `count` copies of `template` under ids `<prefix><i>`, the fastest way the backend allows. */
  insertJobs: (template: JobRecord, prefix: string, count: number) => Promise<void>;
  /**
   * Inserts `count` executions like `template` ({@link copyOf} its `i`th copy),
   * the first through the store, the others the fastest way the backend allows.
   */
  insertExecutions: (template: ExecutionRecord, count: number, jobs: number) => Promise<void>;
  /** What the store has written so far (`write-cost.ts`). */
  writes: Writes;
}

/** A fresh store that the worker processes of one run meet on (tick, burst2). */
export interface SharedTarget {
  config: Pick<WorkerConfig, 'store' | 'path' | 'databaseUrl' | 'schema'>;
  serverPids: () => Promise<number[]>;
  /** Rows in the executions table now (retention keeps it bounded). */
  executionRows: () => Promise<number>;
  cleanup: () => Promise<void>;
}

export interface StoreCase {
  name: string;
  /** A first guess of the time to submit the burst's 10,000 jobs (later runs use the last one measured). */
  burstSubmitGuessMs: number;
  make: () => Promise<Made>;
  /** Absent: the store cannot be shared by processes. */
  sharedTarget?: () => Promise<SharedTarget>;
}

/**
 * The `i`th copy of a template execution: id `<id>-<i, 6 digits>`, job
 * `<jobId><i mod jobs>`, fire and run `i` ms after the template's.
 */
export function copyOf(template: ExecutionRecord, i: number, jobs: number): ExecutionRecord {
  return {
    ...template,
    id: `${template.id}-${String(i).padStart(6, '0')}`,
    jobId: `${template.jobId}${i % jobs}`,
    fireAt: template.fireAt + i,
    runAt: template.runAt + i,
  };
}

/** The store cases among `wanted`, and a note for each that cannot run. */
export async function storeCases(
  wanted: string[],
): Promise<{ cases: StoreCase[]; notes: string[] }> {
  const cases = [memoryCase, sqliteCase].filter((c) => wanted.includes(c.name));
  const notes: string[] = [];
  if (wanted.includes('postgres')) {
    const pgCase = await postgresCase();
    if (typeof pgCase === 'string') notes.push(pgCase);
    else cases.push(pgCase);
  }
  if (wanted.includes('nats')) {
    const nats = await natsCase();
    if (typeof nats === 'string') notes.push(nats);
    else cases.push(nats);
  }
  return { cases, notes };
}

// ------------------------------------------------------------------ memory

/** Inserts through the store contract, a batch of job writes at a time. */
async function insertThroughApi(
  store: Store,
  template: JobRecord,
  prefix: string,
  count: number,
): Promise<void> {
  const BATCH = 1_000;
  for (let i = 0; i < count; i += BATCH) {
    const ids = Array.from({ length: Math.min(BATCH, count - i) }, (_, k) => i + k);
    await insertJobs(
      store,
      ids.map((k) => ({ ...template, id: `${prefix}${k}` })),
    );
  }
}

/** Inserts job records in one store write (`jobsWrite`); throws when an id is taken. */
export async function insertJobs(store: Store, jobs: JobRecord[]): Promise<void> {
  const writes = jobs.map((job) => ({ job, expectedVersion: null, dropPlanned: false }));
  const failed = await store.jobsWrite({ writes });
  if (failed.length > 0) throw new Error(`bench: ${failed.length} job ids were taken`);
}

const memoryCase: StoreCase = {
  name: 'memory',
  burstSubmitGuessMs: 700,
  make: async () => {
    const store = memoryStore();
    return {
      store,
      cleanup: async () => undefined,
      bytesPerJob: async () => 'n/a',
      serverPids: async () => [],
      insertJobs: (template, prefix, count) => insertThroughApi(store, template, prefix, count),
      insertExecutions: async (template, count, jobs) => {
        for (let i = 0; i < count; i++) {
          await store.executionInsert({ execution: copyOf(template, i, jobs) });
        }
      },
      writes: async () => storeWrites(store),
    };
  },
};

// ------------------------------------------------------------------ SQLite

/** The columns of a copied execution that differ from the first one's ({@link copyOf}), in SQLite. */
const COPY_SQLITE: Record<string, string> = {
  id: `@id || '-' || printf('%06d', n)`,
  job_id: `@job || (n % CAST(@jobs AS INTEGER))`,
  fire_at: 'fire_at + n',
  run_at: 'run_at + n',
};

/** Runs `body` on a connection of its own to the SQLite file, closed afterwards. */
function withDatabase<T>(path: string, body: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    return body(db);
  } finally {
    db.close();
  }
}

/** The names of a SQLite table's columns. */
function sqliteColumns(db: Database.Database, table: string): string[] {
  return db
    .prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)')
    .all(table)
    .map((c) => c.name);
}

/** One job through the store, the others copied from it by SQLite in one statement. */
async function sqliteInsertJobs(
  store: Store,
  path: string,
  template: JobRecord,
  prefix: string,
  count: number,
): Promise<void> {
  await insertJobs(store, [{ ...template, id: `${prefix}0` }]);
  withDatabase(path, (db) => {
    const columns = sqliteColumns(db, 'jobs').filter((name) => name !== 'id');
    db.prepare(
      `INSERT INTO jobs (id, ${columns.join(', ')})
       WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < @last)
       SELECT @prefix || n, ${columns.join(', ')} FROM jobs, g WHERE id = @prefix || '0'`,
    ).run({ prefix, last: count - 1 });
    db.exec('ANALYZE');
  });
}

/** The first execution through the store, the others copied from it by SQLite in one statement. */
async function sqliteInsertExecutions(
  store: Store,
  path: string,
  template: ExecutionRecord,
  count: number,
  jobs: number,
): Promise<void> {
  const first = copyOf(template, 0, jobs);
  await store.executionInsert({ execution: first });
  withDatabase(path, (db) => {
    const columns = sqliteColumns(db, 'executions');
    const values = columns.map((name) => COPY_SQLITE[name] ?? name);
    db.prepare(
      `INSERT INTO executions (${columns.join(', ')})
       WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < @last)
       SELECT ${values.join(', ')} FROM executions, g WHERE id = @first`,
    ).run({ first: first.id, id: template.id, job: template.jobId, jobs, last: count - 1 });
    db.exec('ANALYZE');
  });
}

const sqliteCase: StoreCase = {
  name: 'sqlite',
  burstSubmitGuessMs: 2_000,
  make: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chime-bench-'));
    const path = join(dir, 'bench.db');
    const store = sqliteStore({ path });
    return {
      store,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      bytesPerJob: async (jobs) => {
        // Everything in the main file first, so its size is the data's.
        withDatabase(path, (db) => db.pragma('wal_checkpoint(TRUNCATE)'));
        return Math.round(statSync(path).size / jobs);
      },
      serverPids: async () => [],
      insertJobs: (template, prefix, count) =>
        sqliteInsertJobs(store, path, template, prefix, count),
      insertExecutions: (template, count, jobs) =>
        sqliteInsertExecutions(store, path, template, count, jobs),
      writes: async () => storeWrites(store),
    };
  },
  sharedTarget: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chime-bench-shared-'));
    const path = join(dir, 'shared.db');
    return {
      config: { store: 'sqlite', path },
      serverPids: async () => [],
      executionRows: async () => {
        const db = new Database(path, { readonly: true, fileMustExist: true });
        try {
          const row = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM executions').get();
          return row?.n ?? 0;
        } finally {
          db.close();
        }
      },
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};
