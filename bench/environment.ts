/** What the report heads with: when, the command, and the machine it ran on. */
import { cpus, totalmem } from 'node:os';
import Database from 'better-sqlite3';
import pg from 'pg';
import { DATABASE_URL } from './stores.js';

export interface Environment {
  date: string;
  command: string;
  machine: string;
  /** The machine's pace measured in this run, in words. */
  baseline?: string;
}

/** The SQLite library's version, if it loads. */
function sqliteVersion(): string | undefined {
  try {
    const db = new Database(':memory:');
    const row = db.prepare('SELECT sqlite_version() AS v').get() as { v: string };
    db.close();
    return `SQLite ${row.v}`;
  } catch {
    return undefined; // not fatal
  }
}

/** The Postgres server's version, if it answers. */
async function postgresVersion(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return `PostgreSQL ${rows[0]?.server_version ?? '?'} (same host)`;
  } catch {
    return undefined; // skipped later with a note
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function environment(): Promise<Environment> {
  const cpu = cpus();
  const parts = [
    `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'})`,
    `${Math.round(totalmem() / 2 ** 30)} GiB`,
    `Node ${process.version}`,
  ];
  for (const part of [sqliteVersion(), await postgresVersion()]) if (part) parts.push(part);
  const args = process.argv.slice(2);
  return {
    date: new Date().toISOString(),
    command: `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
    machine: parts.join(', '),
  };
}
