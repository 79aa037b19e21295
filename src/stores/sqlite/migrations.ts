/**
 * The SQLite store's migrator: numbered, append-only migrations recorded in a
 * ledger table, `chime_migrations(version, name, applied_at)`. Each migration
 * runs in one `BEGIN IMMEDIATE` transaction that first re-reads the ledger, so
 * several processes opening one fresh database at once apply each migration
 * exactly once. A database whose ledger names a version this code does not
 * know is refused with `CHIME_ERR_STORE_SCHEMA_TOO_NEW`, before anything is
 * written: an older chime must not run against a newer schema.
 */
import type Database from 'better-sqlite3';
import { ChimeError } from '../../errors.js';
import { migration001 } from './migrations/001-initial.js';
import { migration002 } from './migrations/002-retention.js';
import { migration003 } from './migrations/003-instances.js';
import { migration004 } from './migrations/004-leaner-finish.js';
import { migration005 } from './migrations/005-fire-count.js';
import { migration006 } from './migrations/006-backfill.js';
import { migration007 } from './migrations/007-one-history-index.js';
import { migration008 } from './migrations/008-recent-ascending.js';
import { migration009 } from './migrations/009-no-job-hash.js';

/** One schema change. Frozen once shipped: later changes are new migrations. */
export interface Migration {
  /** 1, 2, 3, …: the order of application, without gaps. */
  readonly version: number;
  /** A short name for the ledger and for people reading it. */
  readonly name: string;
  /** The statements, run as one script inside the migration's transaction. */
  readonly sql: string;
}

/** Every migration this code knows, oldest first. Append only. */
export const MIGRATIONS: readonly Migration[] = [
  migration001,
  migration002,
  migration003,
  migration004,
  migration005,
  migration006,
  migration007,
  migration008,
  migration009,
];

const CREATE_LEDGER = `
CREATE TABLE IF NOT EXISTS chime_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at INTEGER NOT NULL
) STRICT`;

const SELECT_VERSIONS = 'SELECT version FROM chime_migrations ORDER BY version';
const SELECT_ONE = 'SELECT 1 FROM chime_migrations WHERE version = ?';
// The ledger's time is the database's: a record for people, never a decision.
const INSERT_ONE = `INSERT INTO chime_migrations (version, name, applied_at)
  VALUES (?, ?, CAST(unixepoch('subsec') * 1000 AS INTEGER))`;

/** Where the database is, for error messages, and which migrations to apply. */
export interface MigrateOptions {
  /** The database file, named in errors. */
  location: string;
  /** @defaultValue {@link MIGRATIONS} */
  migrations?: readonly Migration[];
}

/**
 * Brings the database up to the latest migration and returns the versions it
 * applied (empty when it was up to date).
 * @throws ChimeError `CHIME_ERR_STORE_SCHEMA_TOO_NEW` when the ledger holds a
 * version newer than the latest known one.
 */
export function migrate(db: Database.Database, options: MigrateOptions): number[] {
  const migrations = options.migrations ?? MIGRATIONS;
  checkSequence(migrations);
  db.exec(CREATE_LEDGER);
  const known = migrations.length;
  const done = new Set(appliedVersions(db));
  refuseNewer(done, known, options.location);

  const applied: number[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    const ran = db.transaction(() => applyOne(db, migration, known, options.location)).immediate();
    if (ran) applied.push(migration.version);
  }
  return applied;
}

/** The versions recorded in the ledger, ascending. */
export function appliedVersions(db: Database.Database): number[] {
  return db.prepare<[], number>(SELECT_VERSIONS).pluck().all();
}

/** Applies one migration unless another process did meanwhile; true when it ran here. */
function applyOne(
  db: Database.Database,
  migration: Migration,
  known: number,
  location: string,
): boolean {
  // Re-read under the write lock: another process may have migrated since the first read.
  refuseNewer(new Set(appliedVersions(db)), known, location);
  if (db.prepare<[number]>(SELECT_ONE).get(migration.version) !== undefined) return false;
  db.exec(migration.sql);
  db.prepare<[number, string]>(INSERT_ONE).run(migration.version, migration.name);
  return true;
}

function refuseNewer(done: ReadonlySet<number>, known: number, location: string): void {
  const newest = Math.max(0, ...done);
  if (newest <= known) return;
  throw new ChimeError(
    'CHIME_ERR_STORE_SCHEMA_TOO_NEW',
    `the SQLite database ${location} has schema version ${newest}, but this version of chime ` +
      `knows versions up to ${known}: upgrade chime, or point it at another database`,
  );
}

/** Migrations must be numbered 1, 2, 3, … in order: a gap or a swap is a programming error. */
function checkSequence(migrations: readonly Migration[]): void {
  migrations.forEach((migration, i) => {
    if (migration.version !== i + 1) {
      throw new Error(
        `SQLite migration "${migration.name}" has version ${migration.version}, expected ${i + 1}`,
      );
    }
  });
}

/**
 * Checks, without writing, that the database holds every known migration —
 * for a store opened with `migrate: false`.
 * @throws ChimeError `CHIME_ERR_STORE_SCHEMA_TOO_NEW` or `CHIME_ERR_STORE_SCHEMA_OUTDATED`.
 */
export function checkMigrated(db: Database.Database, options: MigrateOptions): void {
  const migrations = options.migrations ?? MIGRATIONS;
  const hasLedger = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chime_migrations'")
    .get();
  const done = new Set(hasLedger ? appliedVersions(db) : []);
  refuseNewer(done, migrations.length, options.location);
  const missing = migrations.filter((m) => !done.has(m.version)).map((m) => m.version);
  if (missing.length === 0) return;
  throw new ChimeError(
    'CHIME_ERR_STORE_SCHEMA_OUTDATED',
    `the SQLite database ${options.location} lacks migration(s) ${missing.join(', ')} and the store ` +
      'was opened with migrate: false: run `chime migrate`, or open it with migrate: true',
  );
}
