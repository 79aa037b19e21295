/**
 * The Postgres store's migrator: numbered, append-only migrations recorded in
 * a ledger table, `<schema>.chime_migrations(version, name, applied_at)`.
 *
 * Each migration runs in one transaction that first takes a transaction-level
 * advisory lock keyed on the schema name, then creates the schema and the
 * ledger if absent and re-reads the ledger: any number of instances opening
 * one fresh schema at once apply each migration exactly once, and the others
 * wait for it and skip it. A schema whose ledger names a version this code
 * does not know is refused with `CHIME_ERR_STORE_SCHEMA_TOO_NEW` before
 * anything is written: an older chime must not run against a newer schema.
 *
 * Migrations are SQL text with a `{{schema}}` placeholder, replaced only by
 * the validating quoter's output (`identifiers.ts`).
 */
import type { Pool, PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { ChimeError } from '../../errors.js';
import { quoteSchema } from './identifiers.js';
import { migration001 } from './migrations/001-initial.js';
import { migration002 } from './migrations/002-retention.js';
import { migration003 } from './migrations/003-instances.js';
import { migration004 } from './migrations/004-leaner-writes.js';
import { migration005 } from './migrations/005-updates-in-place.js';
import { migration006 } from './migrations/006-fire-count.js';
import { migration007 } from './migrations/007-backfill.js';
import { migration008 } from './migrations/008-work-table.js';
import { migration009 } from './migrations/009-compact-jobs.js';
import { migration010 } from './migrations/010-one-history-index.js';
import { migration011 } from './migrations/011-compact-outcomes.js';
import { migration012 } from './migrations/012-attempts-as-json.js';
import { migration013 } from './migrations/013-recent-ascending.js';
import { migration014 } from './migrations/014-lean-idle-jobs.js';
import { migration015 } from './migrations/015-no-job-hash.js';

/** One schema change. Frozen once shipped: later changes are new migrations. */
export interface Migration {
  /** 1, 2, 3, …: the order of application, without gaps. */
  readonly version: number;
  /** A short name for the ledger and for people reading it. */
  readonly name: string;
  /** The statements, with `{{schema}}` for the schema; run as one script in the migration's transaction. */
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
  migration010,
  migration011,
  migration012,
  migration013,
  migration014,
  migration015,
];

/** What the migrator needs of a pool or a client: one query at a time. */
export interface Queryable {
  query<R extends QueryResultRow>(config: QueryConfig): Promise<QueryResult<R>>;
}

/** Where to migrate, and which migrations to apply. */
export interface MigrateOptions {
  /** The schema, created when absent. */
  schema: string;
  /** @defaultValue {@link MIGRATIONS} */
  migrations?: readonly Migration[];
}

/**
 * The first key of the advisory lock: "chim" in ASCII, so chime's lock does not
 * collide with another application's single-key locks; the second is
 * `hashtext(schema)`.
 */
const LOCK_CLASS = 0x6368696d;

/** A migration's SQL for one schema: the placeholder replaced by the quoted name. */
export function renderMigration(migration: Migration, schema: string): string {
  return migration.sql.replaceAll('{{schema}}', quoteSchema(schema));
}

/**
 * Brings the schema up to the latest migration and returns the versions it
 * applied (empty when it was up to date). An up-to-date schema costs one
 * read and takes no lock.
 * @throws ChimeError `CHIME_ERR_STORE_SCHEMA_TOO_NEW` when the ledger holds a
 * version newer than the latest known one; the driver's error when a statement fails.
 */
export async function migrate(pool: Pool, options: MigrateOptions): Promise<number[]> {
  const migrations = options.migrations ?? MIGRATIONS;
  checkSequence(migrations);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const done = await appliedVersions(client, options.schema);
    refuseNewer(done, migrations.length, options.schema);
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.includes(migration.version)) continue;
      if (await applyOne(client, migration, migrations.length, options.schema))
        applied.push(migration.version);
    }
    return applied;
  } catch (err) {
    broken = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    // A client whose transaction failed is discarded rather than reused.
    client.release(broken);
  }
}

/**
 * Checks, without writing, that the schema holds every known migration — for
 * a store opened with `migrate: false`.
 * @throws ChimeError `CHIME_ERR_STORE_SCHEMA_TOO_NEW`, or
 * `CHIME_ERR_STORE_SCHEMA_OUTDATED` naming the missing versions and how to apply them.
 */
export async function checkMigrated(db: Queryable, options: MigrateOptions): Promise<void> {
  const migrations = options.migrations ?? MIGRATIONS;
  const done = await appliedVersions(db, options.schema);
  refuseNewer(done, migrations.length, options.schema);
  const missing = migrations.filter((m) => !done.includes(m.version)).map((m) => m.version);
  if (missing.length === 0) return;
  throw new ChimeError(
    'CHIME_ERR_STORE_SCHEMA_OUTDATED',
    `the Postgres schema ${options.schema} lacks migration(s) ${missing.join(', ')} ` +
      `(it is at version ${Math.max(0, ...done)}, this chime needs ${migrations.length}) and the ` +
      'store was opened with migrate: false: run `chime migrate`, or open it with migrate: true',
  );
}

/** The versions recorded in the schema's ledger, ascending; empty when there is no ledger. */
export async function appliedVersions(db: Queryable, schema: string): Promise<number[]> {
  const ledger = `${quoteSchema(schema)}.chime_migrations`;
  const present = await db.query<{ present: boolean }>({
    text: 'SELECT to_regclass($1) IS NOT NULL AS present',
    values: [ledger],
  });
  if (!present.rows[0]?.present) return [];
  const rows = await db.query<{ version: number }>({
    text: `SELECT version FROM ${ledger} ORDER BY version`,
  });
  return rows.rows.map((row) => row.version);
}

/** Applies one migration in its own locked transaction unless another instance did; true when it ran here. */
async function applyOne(
  client: PoolClient,
  migration: Migration,
  known: number,
  schema: string,
): Promise<boolean> {
  const quoted = quoteSchema(schema);
  await client.query('BEGIN');
  try {
    await client.query({
      text: 'SELECT pg_advisory_xact_lock($1::int, hashtext($2))',
      values: [LOCK_CLASS, schema],
    });
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await client.query(ledgerDdl(quoted));
    // Re-read under the lock: another instance may have migrated since the first read.
    const done = await appliedVersions(client, schema);
    refuseNewer(done, known, schema);
    const ran = !done.includes(migration.version);
    if (ran) {
      await client.query(renderMigration(migration, schema));
      await client.query({
        text: `INSERT INTO ${quoted}.chime_migrations (version, name, applied_at)
          VALUES ($1, $2, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)`,
        values: [migration.version, migration.name],
      });
    }
    await client.query('COMMIT');
    return ran;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** The ledger's DDL. Its time is the database's: a record for people, never a decision. */
function ledgerDdl(quotedSchema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${quotedSchema}.chime_migrations (
    version    integer PRIMARY KEY,
    name       text    NOT NULL,
    applied_at bigint  NOT NULL
  )`;
}

function refuseNewer(done: readonly number[], known: number, schema: string): void {
  const newest = Math.max(0, ...done);
  if (newest <= known) return;
  throw new ChimeError(
    'CHIME_ERR_STORE_SCHEMA_TOO_NEW',
    `the Postgres schema ${schema} has schema version ${newest}, but this version of chime ` +
      `knows versions up to ${known}: upgrade chime, or point it at another schema`,
  );
}

/** Migrations must be numbered 1, 2, 3, … in order: a gap or a swap is a programming error. */
function checkSequence(migrations: readonly Migration[]): void {
  migrations.forEach((migration, i) => {
    if (migration.version !== i + 1) {
      throw new Error(
        `Postgres migration "${migration.name}" has version ${migration.version}, expected ${i + 1}`,
      );
    }
  });
}
