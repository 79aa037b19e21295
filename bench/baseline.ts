/**
 * The machine's pace in this very run, so throughputs from different hours
 * compare: single-row UPDATE transactions per second on the same Postgres
 * (pgbench, when the binary is there; else the same loop from Node) and on a
 * SQLite file set up as the store sets up its own. Throughputs are printed
 * beside them and as ratios to them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { DATABASE_URL } from './stores.js';

/** Rows of the scratch table; each transaction updates one at random. */
const ROWS = 100_000;
/** How long each baseline runs. */
const SECONDS = 5;
/** Clients of the Postgres baseline (pgbench `-c`), as many as chime's pool. */
const CLIENTS = 10;

/** The baselines of one run (undefined: that backend could not be measured). */
export interface Baselines {
  /** Single-row UPDATE transactions per second on Postgres, and how they were measured. */
  postgresTps?: number;
  postgresHow?: string;
  /** Single-row UPDATE transactions per second on a SQLite file (WAL, synchronous NORMAL). */
  sqliteTps: number;
}

/** Measures both baselines. */
export async function measureBaselines(withPostgres: boolean): Promise<Baselines> {
  const sqliteTps = sqliteBaseline();
  if (!withPostgres) return { sqliteTps };
  const pgb = await pgbenchBaseline().catch(() => undefined);
  if (pgb !== undefined) return { sqliteTps, postgresTps: pgb, postgresHow: 'pgbench' };
  return { sqliteTps, postgresTps: await nodeBaseline(), postgresHow: 'node pg' };
}

/** Autocommit single-row UPDATEs on a fresh file, one connection, for {@link SECONDS}. */
function sqliteBaseline(): number {
  const dir = mkdtempSync(join(tmpdir(), 'chime-baseline-'));
  const db = new Database(join(dir, 'b.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)');
    const insert = db.prepare('INSERT INTO t (id, v) VALUES (?, 0)');
    db.transaction(() => {
      for (let i = 0; i < ROWS; i++) insert.run(i);
    })();
    const update = db.prepare('UPDATE t SET v = v + 1 WHERE id = ?');
    const end = performance.now() + SECONDS * 1_000;
    let n = 0;
    while (performance.now() < end) {
      update.run(Math.floor(Math.random() * ROWS));
      n++;
    }
    return Math.round(n / SECONDS);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A scratch table in a schema of its own, dropped by the returned function. */
async function scratchTable(): Promise<{ table: string; drop: () => Promise<void> }> {
  const schema = `chime_baseline_${process.pid}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.t (id integer PRIMARY KEY, v bigint NOT NULL)`);
  await admin.query(`INSERT INTO ${schema}.t SELECT g, 0 FROM generate_series(0, $1) g`, [
    ROWS - 1,
  ]);
  await admin.query(`VACUUM ANALYZE ${schema}.t`);
  await admin.end();
  return {
    table: `${schema}.t`,
    drop: async () => {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

/** pgbench with a one-statement script; undefined when pgbench is not installed or fails. */
async function pgbenchBaseline(): Promise<number | undefined> {
  if (spawnSync('pgbench', ['--version']).status !== 0) return undefined;
  const { table, drop } = await scratchTable();
  const dir = mkdtempSync(join(tmpdir(), 'chime-pgbench-'));
  try {
    const script = join(dir, 'update.sql');
    writeFileSync(
      script,
      `\\set id random(0, ${ROWS - 1})\nUPDATE ${table} SET v = v + 1 WHERE id = :id;\n`,
    );
    const url = new URL(DATABASE_URL);
    const args = ['-n', '-f', script, '-c', String(CLIENTS), '-j', '2', '-T', String(SECONDS)];
    const result = spawnSync('pgbench', [...args, url.pathname.slice(1) || 'postgres'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        PGHOST: url.hostname,
        PGPORT: url.port || '5432',
        PGUSER: decodeURIComponent(url.username) || 'postgres',
        ...(url.password ? { PGPASSWORD: decodeURIComponent(url.password) } : {}),
      },
    });
    const match = /tps = ([\d.]+)/.exec(result.stdout);
    return result.status === 0 && match ? Math.round(Number(match[1])) : undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await drop();
  }
}

/** The same loop from Node: {@link CLIENTS} connections, autocommit single-row UPDATEs. */
async function nodeBaseline(): Promise<number> {
  const { table, drop } = await scratchTable();
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: CLIENTS });
  const end = performance.now() + SECONDS * 1_000;
  let n = 0;
  const client = async () => {
    while (performance.now() < end) {
      await pool.query(`UPDATE ${table} SET v = v + 1 WHERE id = $1`, [
        Math.floor(Math.random() * ROWS),
      ]);
      n++;
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  await pool.end();
  await drop();
  return Math.round(n / SECONDS);
}

/** The baselines in words, for the table's head. */
export function describeBaselines(b: Baselines): string {
  const parts = [`SQLite ${b.sqliteTps.toLocaleString('en-US')} single-row UPDATEs/s`];
  if (b.postgresTps !== undefined)
    parts.push(
      `Postgres ${b.postgresTps.toLocaleString('en-US')} single-row UPDATE transactions/s (${b.postgresHow ?? ''}, ${CLIENTS} clients)`,
    );
  return parts.join('; ');
}
