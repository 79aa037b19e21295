/**
 * The Postgres store's migrations: the ledger and its advisory lock (many
 * stores and migrators on one fresh schema), the schema-too-new and
 * migrate-false guards, migration 2 on a schema with history, migration 11
 * on a schema with jobs, migrations 12 and 13 on one with executions, and
 * migration 15 (`jobs` without `hash`) on one with jobs.
 * Migration 8 on a schema with rows: `postgres.work-table.test.ts`;
 * migrations 9 and 14: `postgres.compact-jobs.test.ts`.
 */
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { isChimeError } from '../../src/errors.js';
import { MIGRATIONS, migrate, type Migration } from '../../src/stores/postgres/migrations.js';
import { postgresStore } from '../../src/stores/postgres/postgres-store.js';
import { SERVICES, serviceAvailable } from '../helpers/services.js';
import { failure, postgresStores } from './postgres-fixture.js';
import type { LastOutcome } from '../../src/model/job.js';
import { T0, makeAttempt, makeJobRecord } from './records.js';
import { LEASE, finish } from './conformance/fixture.js';
import { definitionText } from '../../src/stores/postgres/job-encoding.js';
import {
  STORED_BEFORE_NO_HASH,
  expectEnsuredUnchanged,
  expectRetentionMigrated,
} from './migration-checks.js';

const DATABASE_URL = SERVICES.postgres.url;
const available = await serviceAvailable('postgres');

describe.skipIf(!available)('postgres migrations', () => {
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  admin.on('error', () => undefined);
  afterAll(() => admin.end());
  const { freshSchema, schemaWithJob, makeStore, openStore, opened, cleanups } =
    postgresStores(admin);

  async function ledger(schema: string) {
    const { rows } = await admin.query(
      `SELECT version, name, applied_at FROM "${schema}".chime_migrations ORDER BY version`,
    );
    return rows as { version: number; name: string; applied_at: string }[];
  }

  async function schemaExists(schema: string): Promise<boolean> {
    const { rows } = await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    return rows.length === 1;
  }

  describe('migrations', () => {
    test('the ledger holds one row per migration, and reopening applies none again', async () => {
      const store = await openStore();
      const first = await ledger(store.schema);
      expect(first).toEqual(
        MIGRATIONS.map((m) => ({
          version: m.version,
          name: m.name,
          applied_at: expect.any(String),
        })),
      );
      await store.close();

      const again = await openStore({ schema: store.schema });
      expect(await again.migrate()).toEqual([]);
      expect(await ledger(store.schema)).toEqual(first);
    });

    test('20 stores opening one fresh schema at once all succeed and apply each migration once', async () => {
      const schema = freshSchema();
      const stores = Array.from({ length: 20 }, () =>
        postgresStore({ connectionString: DATABASE_URL, schema, maxConnections: 1 }),
      );
      opened.push(...stores);
      const results = await Promise.allSettled(stores.map((store) => store.open()));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect((await ledger(schema)).map((row) => row.version)).toEqual(
        MIGRATIONS.map((m) => m.version),
      );
      for (const store of stores) expect(await store.jobGet({ id: 'x' })).toBeNull();
    });

    test('20 migrators with further migrations on 20 pools: each migration runs exactly once', async () => {
      const schema = freshSchema();
      // Not idempotent on purpose: applying one twice would fail its migrator.
      const next = MIGRATIONS.length + 1;
      const extra: Migration[] = [
        { version: next, name: 'probe', sql: 'CREATE TABLE {{schema}}.probe (n integer)' },
        { version: next + 1, name: 'probe-row', sql: 'INSERT INTO {{schema}}.probe VALUES (1)' },
      ];
      const migrations = [...MIGRATIONS, ...extra];
      const pools = Array.from({ length: 20 }, () => {
        const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
        pool.on('error', () => undefined);
        return pool;
      });
      cleanups.push(async () => {
        await Promise.all(pools.map((pool) => pool.end()));
      });
      const applied = await Promise.all(pools.map((pool) => migrate(pool, { schema, migrations })));
      expect(applied.flat().sort((a, b) => a - b)).toEqual(migrations.map((m) => m.version));
      expect((await ledger(schema)).map((row) => row.name)).toEqual(migrations.map((m) => m.name));
      const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".probe`);
      expect(rows).toEqual([{ n: 1 }]);
    });

    test('a schema newer than the code is refused with CHIME_ERR_STORE_SCHEMA_TOO_NEW', async () => {
      const store = await openStore();
      await store.close();
      await admin.query(`INSERT INTO "${store.schema}".chime_migrations VALUES (999, 'future', 0)`);
      for (const migrateOnOpen of [true, false]) {
        const newer = makeStore({ schema: store.schema, migrate: migrateOnOpen });
        const error = await failure(newer.open());
        expect(isChimeError(error, 'CHIME_ERR_STORE_SCHEMA_TOO_NEW')).toBe(true);
        expect(String(error)).toMatch(
          new RegExp(`schema version 999.*up to ${MIGRATIONS.length}:`),
        );
        await expect(newer.jobGet({ id: 'x' })).rejects.toMatchObject({
          code: 'CHIME_ERR_STORE_UNAVAILABLE',
        });
        await expect(newer.migrate()).rejects.toMatchObject({
          code: 'CHIME_ERR_STORE_SCHEMA_TOO_NEW',
        });
      }
    });

    test('migrate: false on an unmigrated schema fails clearly and writes nothing', async () => {
      const store = makeStore({ migrate: false });
      const error = await failure(store.open());
      expect(isChimeError(error, 'CHIME_ERR_STORE_SCHEMA_OUTDATED')).toBe(true);
      expect(String(error)).toContain(store.schema);
      expect(String(error)).toMatch(/chime migrate/);
      expect(await schemaExists(store.schema)).toBe(false);

      expect(await store.migrate()).toEqual(MIGRATIONS.map((m) => m.version));
      await store.open();
      expect(await store.jobGet({ id: 'x' })).toBeNull();
    });
  });

  describe('migration 2', () => {
    test('gives the jobs of a schema with history their statistics and a pruner look', async () => {
      const schema = freshSchema();
      expect(await migrate(admin, { schema, migrations: MIGRATIONS.slice(0, 1) })).toEqual([1]);
      await admin.query(
        `INSERT INTO "${schema}".jobs (id, definition, hash, paused, version, created_at, updated_at)
           VALUES ('busy', '{"metadata":{}}', 'h', false, 1, 1, 1),
                  ('idle', '{"metadata":{}}', 'h', false, 1, 2, 2)`,
      );
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
      for (const [id, fireAt, status, onFailure, finishedAt] of history) {
        await admin.query(
          `INSERT INTO "${schema}".executions (id, job_id, fire_at, run_at, trigger, status,
               attempt, lease_token, attempts, on_failure, created_at, finished_at)
             VALUES ($1, 'busy', $2, $2, 'schedule', $3, 1, 0, '[]', $4, $2, $5)`,
          [id, fireAt, status, onFailure, finishedAt],
        );
      }

      const store = await openStore({ schema });
      expect((await ledger(schema)).map((row) => row.version)).toEqual(
        MIGRATIONS.map((m) => m.version),
      );
      await expectRetentionMigrated(store);
    });
  });

  describe('migration 11', () => {
    const outcomes: [string, LastOutcome][] = [
      ['done', { status: 'succeeded', executionId: 'e1', at: '2030-01-01T00:00:00.125Z' }],
      [
        'broke',
        { status: 'failed', executionId: 'e2', at: '2030-01-02T00:00:00.000Z', error: 'x' },
      ],
      ['odd', { status: 'missed', executionId: 'e3', at: '2030-01-03T00:00:00Z' }],
    ];

    test('stores last outcomes as arrays, instants as epoch ms, and reads them back as they were', async () => {
      const schema = freshSchema();
      await migrate(admin, { schema, migrations: MIGRATIONS.slice(0, 10) });
      for (const [id, outcome] of [...outcomes, ['none', null] as const]) {
        await admin.query(
          `INSERT INTO "${schema}".jobs (id, definition, hash, paused, next_fire_at, version,
               created_at, updated_at, last_outcome)
             VALUES ($1, '{"schedule":{"kind":"once","at":"2030-01-01T00:00:00.000Z"}}', 'h',
               false, NULL, 1, 1, 1, $2)`,
          [id, outcome === null ? null : JSON.stringify(outcome)],
        );
      }
      const store = await openStore({ schema });
      for (const [id, outcome] of outcomes) {
        expect((await store.jobGet({ id }))?.lastOutcome).toEqual(outcome);
      }
      expect((await store.jobGet({ id: 'none' }))?.lastOutcome).toBeNull();
      const stored = await admin.query<{ id: string; last_outcome: unknown }>(
        `SELECT id, last_outcome FROM "${schema}".jobs ORDER BY id`,
      );
      expect(stored.rows).toEqual([
        { id: 'broke', last_outcome: ['failed', 'e2', Date.UTC(2030, 0, 2), 'x'] },
        { id: 'done', last_outcome: ['succeeded', 'e1', Date.UTC(2030, 0, 1) + 125] },
        { id: 'none', last_outcome: null },
        { id: 'odd', last_outcome: ['missed', 'e3', '2030-01-03T00:00:00Z'] },
      ]);
    });

    test('a last outcome an older instance writes as an object after it is read as it is', async () => {
      const store = await openStore();
      const outcome: LastOutcome = { status: 'failed', executionId: 'e9', at: 'then', error: 'x' };
      await store.jobsWrite({
        writes: [{ job: makeJobRecord({ id: 'old' }), expectedVersion: null, dropPlanned: false }],
      });
      await admin.query(`UPDATE "${store.schema}".jobs SET last_outcome = $1 WHERE id = 'old'`, [
        JSON.stringify(outcome),
      ]);
      expect((await store.jobGet({ id: 'old' }))?.lastOutcome).toEqual(outcome);
    });

    test('a job written after it reads its last outcome back as written', async () => {
      const store = await openStore();
      for (const [id, lastOutcome] of outcomes) {
        const job = makeJobRecord({ id, lastOutcome });
        expect(
          await store.jobsWrite({ writes: [{ job, expectedVersion: null, dropPlanned: false }] }),
        ).toEqual([]);
        expect(await store.jobGet({ id })).toEqual(job);
      }
    });
  });

  describe('migration 12', () => {
    test("keeps executions' attempts as json text, read back as they were and appended to by later writes", async () => {
      const schema = await schemaWithJob(11);
      const failed = makeAttempt({ outcome: 'failed', error: { message: 'no' } });
      const stored = JSON.stringify([
        [1, 'instance-a', T0, T0 + 1_000, 'failed', { message: 'no' }],
      ]);
      // A retry due at T0 after its failed first attempt, and a fire not yet run.
      for (const [id, attempt, attempts] of [
        ['retry', 1, stored],
        ['fresh', 0, '[]'],
      ] as const) {
        await admin.query(
          `INSERT INTO "${schema}".executions (id, job_id, fire_at, run_at, trigger, status,
             attempt, lease_token, attempts, created_at)
           VALUES ($1, 'j', $2, $3, 'schedule', 'scheduled', $4, 0, $5::jsonb, $3)`,
          [id, attempt === 1 ? T0 - 1 : T0, T0, attempt, attempts],
        );
        await admin.query(
          `INSERT INTO "${schema}".work (id, job_id, run_at, held) VALUES ($1, 'j', $2, false)`,
          [id, T0],
        );
      }
      const store = await openStore({ schema });
      expect((await store.executionGet({ id: 'retry' }))?.attempts).toEqual([failed]);
      expect((await store.executionGet({ id: 'fresh' }))?.attempts).toEqual([]);
      const types = await admin.query(
        `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute
         WHERE attrelid = '"${schema}".executions'::regclass AND attname = 'attempts'`,
      );
      expect(types.rows).toEqual([{ type: 'json' }]);

      const claims = await store.executionsClaim({
        owner: 'me',
        now: T0,
        until: T0,
        leaseMs: LEASE,
        limit: 10,
      });
      expect(claims.map((c) => c.execution.id)).toEqual(['fresh', 'retry']);
      const second = makeAttempt({ attempt: 2, owner: 'me' });
      const finishes = claims.map((c) =>
        finish(c.execution, { attempt: c.execution.id === 'retry' ? second : makeAttempt() }),
      );
      expect(await store.executionsFinish({ finishes })).toEqual([true, true]);
      expect((await store.executionGet({ id: 'retry' }))?.attempts).toEqual([failed, second]);
      expect((await store.executionGet({ id: 'fresh' }))?.attempts).toEqual([makeAttempt()]);
      const text = await admin.query(
        `SELECT attempts::text AS t FROM "${schema}".executions WHERE id = 'fresh'`,
      );
      expect(text.rows).toEqual([
        { t: JSON.stringify([[1, 'instance-a', T0, T0 + 1_000, 'succeeded']]) },
      ]);
    });
  });

  describe('migration 13', () => {
    test('rebuilds executions_recent ascending; all executions still list newest first', async () => {
      const schema = await schemaWithJob(12);
      await admin.query(
        `INSERT INTO "${schema}".executions (id, job_id, fire_at, run_at, trigger, status,
           attempt, lease_token, attempts, created_at, finished_at)
         SELECT id, 'j', $1::bigint + at, $1::bigint + at, 'manual', 'succeeded', 1, 1, '[]', $1,
           $1::bigint + at
         FROM (VALUES ('a', 0), ('b', 1000), ('c', 1000), ('d', 2000)) v(id, at)`,
        [T0],
      );
      const store = await openStore({ schema });
      const index = await admin.query(
        `SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'executions_recent'`,
        [schema],
      );
      expect(index.rows).toEqual([
        { indexdef: expect.stringMatching(/USING btree \(fire_at, id\)$/) },
      ]);
      const ids = async (before?: { fireAt: number; id: string }) =>
        (await store.executionsList({ limit: 2, ...(before && { before }) })).map((e) => e.id);
      expect(await ids()).toEqual(['d', 'c']);
      expect(await ids({ fireAt: T0 + 1_000, id: 'c' })).toEqual(['b', 'a']);
    });
  });

  describe('migration 15', () => {
    test('drops the hash of jobs, fill factor 80: those an earlier version wrote read back, and ensuring them again writes nothing', async () => {
      const schema = freshSchema();
      await migrate(admin, { schema, migrations: MIGRATIONS.slice(0, 14) });
      for (const [id, definition] of STORED_BEFORE_NO_HASH)
        await admin.query(
          `INSERT INTO "${schema}".jobs (id, definition, hash, paused, version, created_at, updated_at)
           VALUES ($1, $2, '\\x0102', false, 3, 1, 2)`,
          [id, definitionText(definition)],
        );
      const store = makeStore({ schema });
      await store.open();
      const columns = await admin.query(
        `SELECT column_name FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = 'jobs' AND column_name = 'hash'`,
        [schema],
      );
      expect(columns.rows).toEqual([]);
      const table = await admin.query(
        `SELECT reloptions FROM pg_class WHERE oid = '"${schema}".jobs'::regclass`,
      );
      expect(table.rows).toEqual([{ reloptions: ['fillfactor=80'] }]);
      for (const [id, definition] of STORED_BEFORE_NO_HASH)
        expect(await store.jobGet({ id })).toMatchObject({ definition, version: 3 });
      await expectEnsuredUnchanged(store);
    });
  });
});
