/**
 * SQLite migrations on a database with rows: migration 2 (statistics and a
 * pruner look for jobs with history), migration 7 (one unique index of a
 * job's executions, `executions_job_fire`, instead of `executions_fire` and
 * `executions_job_recent`), migration 8 (`executions_recent` ascending) and
 * migration 9 (`jobs` without `hash`).
 * The ledger and its guards: `sqlite.test.ts`.
 */
import { describe, expect, test } from 'vitest';
import { MIGRATIONS, migrate } from '../../src/stores/sqlite/migrations.js';
import { T0 } from './records.js';
import {
  STORED_BEFORE_NO_HASH,
  expectEnsuredUnchanged,
  expectOneHistoryIndex,
  expectRetentionMigrated,
} from './migration-checks.js';
import { ledger, sqliteStores } from './sqlite-fixture.js';

describe('sqlite migrations', () => {
  const { path, makeStore, openStore, openRaw } = sqliteStores();

  /** A file at its first `migrations`, holding job `j` and these finished executions of it. */
  function withJob(migrations: number, executions: [string, number, string][]) {
    const db = openRaw();
    expect(
      migrate(db, { location: path(), migrations: MIGRATIONS.slice(0, migrations) }),
    ).toHaveLength(migrations);
    db.exec(`INSERT INTO jobs (id, definition, hash, paused, version, created_at, updated_at)
      VALUES ('j', '{"metadata":{}}', 'h', 0, 1, 1, 1)`);
    const insertExecution = db.prepare(`INSERT INTO executions (id, job_id, fire_at, run_at,
      trigger, status, attempt, lease_token, attempts, created_at)
      VALUES (?, 'j', ?, ?, ?, 'succeeded', 1, 1, '[]', ?)`);
    for (const [id, fireAt, trigger] of executions)
      insertExecution.run(id, fireAt, fireAt, trigger, T0);
    return db;
  }

  test('migration 2 gives the jobs of a database with history their statistics and a pruner look', async () => {
    const db = openRaw();
    expect(migrate(db, { location: path(), migrations: MIGRATIONS.slice(0, 1) })).toEqual([1]);
    const insertJob = db.prepare(`INSERT INTO jobs (id, definition, hash, paused, next_fire_at,
      version, created_at, updated_at) VALUES (?, '{"metadata":{}}', 'h', 0, NULL, 1, ?, ?)`);
    const insertExecution = db.prepare(`INSERT INTO executions (id, job_id, fire_at, run_at,
      trigger, status, attempt, lease_token, attempts, on_failure, created_at, finished_at)
      VALUES (?, ?, ?, ?, 'schedule', ?, 1, 0, '[]', ?, ?, ?)`);
    insertJob.run('busy', T0 - 1, T0 - 1);
    insertJob.run('idle', T0 - 2, T0 - 2);
    const history: [string, number, string, string | null, number | null][] = [
      ['e1', T0, 'succeeded', null, T0 + 10],
      ['e2', T0 + 1, 'failed', null, T0 + 20],
      ['e3', T0 + 2, 'failed', 'pending', T0 + 30],
      ['e4', T0 + 3, 'succeeded', null, T0 + 40],
      ['e5', T0 + 4, 'missed', null, T0 + 50],
      ['e6', T0 + 5, 'skipped', null, T0 + 60],
      ['e7', T0 + 6, 'running', null, null],
      ['e8', T0 + 7, 'scheduled', null, null],
    ];
    for (const [id, fireAt, status, onFailure, finishedAt] of history)
      insertExecution.run(id, 'busy', fireAt, fireAt, status, onFailure, fireAt, finishedAt);

    const store = await openStore();
    expect(ledger(db).map((row) => (row as { version: number }).version)).toEqual(
      MIGRATIONS.map((m) => m.version),
    );
    await expectRetentionMigrated(store);
  });

  test('migration 7: one unique index keeps the fires of a database with rows unique, manual triggers of one instant apart, and the history in order', async () => {
    const db = withJob(6, [
      ['m', T0, 'schedule'],
      ['k', T0, 'manual'],
    ]);
    const store = await openStore();
    const indexes = db
      .prepare(
        `SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'executions'
         AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name`,
      )
      .pluck()
      .all();
    expect(indexes).toEqual([
      'executions_claimable',
      'executions_job_fire',
      'executions_leased',
      'executions_prunable_age',
      'executions_recent',
    ]);

    await expectOneHistoryIndex(store);
  });

  test('migration 8 rebuilds executions_recent ascending; all executions still list newest first', async () => {
    withJob(7, [
      ['a', T0, 'manual'],
      ['b', T0 + 1_000, 'manual'],
      ['c', T0 + 1_000, 'manual'],
      ['d', T0 + 2_000, 'manual'],
    ]);
    const store = await openStore();
    const index = openRaw()
      .prepare(`SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = 'executions_recent'`)
      .pluck()
      .get();
    expect(index).toMatch(/ON executions \(fire_at, id\)$/);
    const ids = async (before?: { fireAt: number; id: string }) =>
      (await store.executionsList({ limit: 2, ...(before && { before }) })).map((e) => e.id);
    expect(await ids()).toEqual(['d', 'c']);
    expect(await ids({ fireAt: T0 + 1_000, id: 'c' })).toEqual(['b', 'a']);
  });

  test('migration 9 drops the hash of jobs: those an earlier version wrote read back, and ensuring them again writes nothing', async () => {
    const db = openRaw();
    expect(migrate(db, { location: path(), migrations: MIGRATIONS.slice(0, 8) })).toHaveLength(8);
    const insertJob = db.prepare(`INSERT INTO jobs (id, definition, hash, paused, version,
      created_at, updated_at) VALUES (?, ?, 'a digest', 0, 3, 1, 2)`);
    for (const [id, definition] of STORED_BEFORE_NO_HASH)
      insertJob.run(id, JSON.stringify(definition));
    const store = makeStore();
    await store.open();
    const columns = db.prepare(`SELECT name FROM pragma_table_info('jobs')`).pluck().all();
    expect(columns).not.toContain('hash');
    for (const [id, definition] of STORED_BEFORE_NO_HASH)
      expect(await store.jobGet({ id })).toMatchObject({ definition, version: 3 });
    await expectEnsuredUnchanged(store);
  });
});
