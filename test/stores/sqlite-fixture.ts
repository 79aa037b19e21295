/**
 * SQLite stores for the store tests: each test on a temporary file of its own,
 * its stores and raw connections closed and the database files removed after
 * it (hooks registered by {@link sqliteStores}).
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach } from 'vitest';
import {
  sqliteStore,
  type SqliteStore,
  type SqliteStoreOptions,
} from '../../src/stores/sqlite/sqlite-store.js';
import { defineFunctions } from '../../src/stores/sqlite/statements.js';

/** A database file name under the OS temp dir that nothing uses yet. */
export function tempPath(): string {
  return join(tmpdir(), `chime-sqlite-${randomUUID()}.db`);
}

/** Removes a database file and the journal files SQLite keeps beside it. */
export async function removeDatabase(path: string): Promise<void> {
  await Promise.all(
    ['', '-wal', '-shm', '-journal'].map((suffix) => rm(path + suffix, { force: true })),
  );
}

/** The rows of the migration ledger, in version order. */
export function ledger(db: Database.Database): unknown[] {
  return db
    .prepare('SELECT version, name, applied_at FROM chime_migrations ORDER BY version')
    .all();
}

/**
 * Registers the hooks and returns, for a describe block, the test's database
 * path and the makers of stores and raw connections on it.
 */
export function sqliteStores() {
  let path = '';
  const opened: SqliteStore[] = [];
  const raw: Database.Database[] = [];

  beforeEach(() => {
    path = tempPath();
  });

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    for (const db of raw.splice(0)) db.close();
    await removeDatabase(path);
  });

  /** A store (not opened) on the test's file; closed after the test. */
  function makeStore(options: Omit<SqliteStoreOptions, 'path'> = {}): SqliteStore {
    const store = sqliteStore({ ...options, path });
    opened.push(store);
    return store;
  }

  /** {@link makeStore}, opened. */
  async function openStore(): Promise<SqliteStore> {
    const store = makeStore();
    await store.open();
    return store;
  }

  /** A raw connection to the test's file, with the store's SQL functions; closed after the test. */
  function openRaw(): Database.Database {
    const db = new Database(path);
    defineFunctions(db);
    raw.push(db);
    return db;
  }

  return { path: () => path, makeStore, openStore, openRaw };
}
