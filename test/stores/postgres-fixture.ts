/**
 * Postgres stores for the store tests: each on a schema of its own, closed
 * and dropped after every test (hooks registered by {@link postgresStores}).
 */
import type pg from 'pg';
import { afterEach } from 'vitest';
import { quoteIdentifier } from '../../src/stores/postgres/identifiers.js';
import { MIGRATIONS, migrate } from '../../src/stores/postgres/migrations.js';
import { postgresStore, type PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { SERVICES, uniqueName } from '../helpers/services.js';

/** The options of `postgresStore` a test may set. */
export type StoreOptions = Partial<Parameters<typeof postgresStore>[0]>;

/** Drops a schema and all it holds. */
export async function dropSchema(admin: pg.Pool, schema: string): Promise<void> {
  await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema, '/schema')} CASCADE`);
}

/**
 * Registers the cleanup hook and returns the makers of stores for a describe
 * block, with the lists the hook empties: stores to close, cleanups to run.
 */
export function postgresStores(admin: pg.Pool) {
  let schemas: string[] = [];
  const opened: PostgresStore[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    for (const cleanup of cleanups.splice(0)) await cleanup();
    for (const schema of schemas) await dropSchema(admin, schema);
    schemas = [];
  });

  /** A schema name of its own, dropped after the test. */
  function freshSchema(): string {
    const schema = uniqueName('chime_t');
    schemas.push(schema);
    return schema;
  }

  /**
   * A fresh schema at its first `version` migrations, holding one job `j` of
   * `definition` (JSON): the ground of a migration's test.
   */
  async function schemaWithJob(version: number, definition = '{}'): Promise<string> {
    const schema = freshSchema();
    await migrate(admin, { schema, migrations: MIGRATIONS.slice(0, version) });
    await admin.query(
      `INSERT INTO "${schema}".jobs (id, definition, hash, paused, version, created_at, updated_at)
       VALUES ('j', $1, '\\x00', false, 1, 1, 1)`,
      [definition],
    );
    return schema;
  }

  /** A store (not opened) on a fresh schema unless `options.schema` names one; closed after the test. */
  function makeStore(options: StoreOptions = {}): PostgresStore {
    const store = postgresStore({
      connectionString: SERVICES.postgres.url,
      schema: freshSchema(),
      ...options,
    });
    opened.push(store);
    return store;
  }

  /** {@link makeStore}, opened. */
  async function openStore(options: StoreOptions = {}): Promise<PostgresStore> {
    const store = makeStore(options);
    await store.open();
    return store;
  }

  return { freshSchema, schemaWithJob, makeStore, openStore, opened, cleanups };
}

/** The error a promise rejects with, or undefined when it resolves. */
export async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (err: unknown) => err,
  );
}
