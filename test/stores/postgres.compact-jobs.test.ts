/**
 * The Postgres store's compact `jobs` rows: migration 9 (definitions without
 * their defaults, zero counters NULL; its hashes as bytes went with the
 * column, migration 15) and migration 14
 * (definitions as `json` with a one-shot's instant in epoch ms, an unchanged
 * job's version and updated time NULL, fill factor 75), each on a schema
 * holding jobs written before it and on jobs written after.
 */
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { MIGRATIONS, migrate } from '../../src/stores/postgres/migrations.js';
import { jobArrays } from '../../src/stores/postgres/rows.js';
import type { StoredDefinition } from '../../src/stores/store.js';
import { SERVICES, serviceAvailable } from '../helpers/services.js';
import { postgresStores } from './postgres-fixture.js';
import { T0, makeJobRecord, makeStats, marked } from './records.js';

const DATABASE_URL = SERVICES.postgres.url;
const available = await serviceAvailable('postgres');

describe.skipIf(!available)('postgres compact jobs', () => {
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  admin.on('error', () => undefined);
  afterAll(() => admin.end());
  const { freshSchema, openStore } = postgresStores(admin);

  describe('migration 9', () => {
    const rows: [string, string][] = [
      [
        'plain',
        '{"schedule":{"kind":"once","at":"2030-01-01T00:00:00.000Z"},"target":{"type":"handler"},"metadata":{}}',
      ],
      [
        'tagged',
        '{"schedule":{"kind":"once","at":"2030-01-01T00:00:00.000Z"},"target":{"type":"handler"},"metadata":{"team":"a"}}',
      ],
      [
        'webhook',
        '{"schedule":{"kind":"once","at":"2030-01-01T00:00:00.000Z"},"target":{"type":"webhook","url":"https://x.test/"},"metadata":{}}',
      ],
      [
        'named',
        '{"schedule":{"kind":"once","at":"2030-01-01T00:00:00.000Z"},"target":{"type":"handler","name":"work"},"metadata":{}}',
      ],
    ];

    test('stores definitions without their defaults and zero counters as NULL, and reads all back as they were', async () => {
      const schema = freshSchema();
      await migrate(admin, { schema, migrations: MIGRATIONS.slice(0, 8) });
      for (const [id, definition] of rows) {
        await admin.query(
          `INSERT INTO "${schema}".jobs (id, definition, hash, paused, next_fire_at, version,
               created_at, updated_at, fire_count, succeeded_count)
             VALUES ($1, $2, 'h', false, 1, 1, 1, 1, $3, $3)`,
          [id, definition, id === 'plain' ? 3 : 0],
        );
      }
      const store = await openStore({ schema });
      for (const [id, definition] of rows) {
        expect(await store.jobGet({ id })).toMatchObject({ definition: JSON.parse(definition) });
      }
      expect(await store.jobGet({ id: 'plain' })).toMatchObject({
        fireCount: 3,
        stats: makeStats({ succeeded: 3 }),
      });
      expect(await store.jobGet({ id: 'tagged' })).toMatchObject({
        fireCount: 0,
        stats: makeStats(),
      });
      const counters = await admin.query(
        `SELECT id, fire_count, succeeded_count, failed_count, kept_count FROM "${schema}".jobs
         WHERE id IN ('plain', 'tagged') ORDER BY id`,
      );
      expect(counters.rows).toEqual([
        {
          id: 'plain',
          fire_count: '3',
          succeeded_count: '3',
          failed_count: null,
          kept_count: null,
        },
        {
          id: 'tagged',
          fire_count: null,
          succeeded_count: null,
          failed_count: null,
          kept_count: null,
        },
      ]);
      const stored = await admin.query<{ id: string; definition: unknown }>(
        `SELECT id, definition FROM "${schema}".jobs ORDER BY id`,
      );
      expect(stored.rows).toEqual([
        {
          id: 'named',
          definition: { schedule: expect.anything(), target: { type: 'handler', name: 'work' } },
        },
        { id: 'plain', definition: { schedule: expect.anything() } },
        { id: 'tagged', definition: { schedule: expect.anything(), metadata: { team: 'a' } } },
        { id: 'webhook', definition: { schedule: expect.anything(), target: expect.anything() } },
      ]);
      const list = async (params: { metadata?: Record<string, string>; targetType?: string }) =>
        (await store.jobsList({ limit: 10, ...params })).map((job) => job.id);
      expect(await list({ metadata: { team: 'a' } })).toEqual(['tagged']);
      expect(await list({ targetType: 'handler' })).toEqual(['named', 'plain', 'tagged']);
      expect(await list({ targetType: 'webhook' })).toEqual(['webhook']);
    });

    test('a job written after it reads back as written, and so does its update', async () => {
      const store = await openStore();
      for (const [id, definition] of rows) {
        const job = makeJobRecord({ id, definition: JSON.parse(definition) });
        expect(
          await store.jobsWrite({ writes: [{ job, expectedVersion: null, dropPlanned: false }] }),
        ).toEqual([]);
        expect(await store.jobGet({ id })).toEqual(job);
        const next = { ...job, definition: marked(job, '2'), version: 2 };
        expect(
          await store.jobsWrite({
            writes: [{ job: next, expectedVersion: 1, dropPlanned: false }],
          }),
        ).toEqual([]);
        expect(await store.jobGet({ id })).toEqual(next);
      }
    });

    test('a batch of new jobs binds the columns NULL or 0 in every row as empty arrays (version 1 and an unchanged updated time too: migration 14), and reads back as written', async () => {
      const plain = makeJobRecord({ id: 'a' });
      const fired = makeJobRecord({
        id: 'b',
        fireCount: 2,
        stats: makeStats({ succeeded: 2, lastSuccessAt: T0 }),
        staleAfterMs: 60_000,
      });
      const arrays = jobArrays([plain, makeJobRecord({ id: 'c' })]);
      expect(Object.keys(arrays).filter((column) => arrays[column]?.length === 0)).toEqual([
        'version',
        'updated_at',
        'completed_at',
        'fire_count',
        'last_outcome',
        'stale_after_ms',
        'last_fire_at',
        'last_success_at',
        'last_failure_at',
        'succeeded_count',
        'failed_count',
        'missed_count',
        'skipped_count',
        'stale_since',
        'prune_after',
      ]);
      expect(jobArrays([plain, fired])['succeeded_count']).toEqual([0, 2]);
      const store = await openStore();
      const writes = [plain, fired].map((job) => ({
        job,
        expectedVersion: null,
        dropPlanned: false,
      }));
      expect(await store.jobsWrite({ writes })).toEqual([]);
      expect(await store.jobsGet({ ids: ['a', 'b'] })).toEqual([plain, fired]);
    });
  });

  describe('migration 14', () => {
    const AT = '2030-01-01T00:00:00.125Z';
    const MS = Date.UTC(2030, 0, 1) + 125;
    // id, definition, version, created_at, updated_at
    const rows: [string, string, number, number, number][] = [
      ['fresh', `{"schedule":{"kind":"once","at":"${AT}"}}`, 1, 5, 5],
      ['odd', '{"schedule":{"kind":"once","at":"2030-01-01T00:00:00Z"}}', 3, 5, 9],
      ['leap', '{"schedule":{"kind":"once","at":"2030-06-30T23:59:60.000Z"}}', 1, 5, 5],
      [
        'tagged',
        '{"schedule":{"kind":"cron","expr":"* * * * *"},"metadata":{"team":"a"}}',
        2,
        5,
        5,
      ],
    ];

    /** The stored form of the jobs of a schema: definition text, version, updated time. */
    async function stored(schema: string) {
      const { rows } = await admin.query<{ id: string; d: string; v: number; u: string }>(
        `SELECT id, definition::text AS d, version AS v, updated_at AS u
         FROM "${schema}".jobs ORDER BY id`,
      );
      return rows.map((r) => [
        r.id,
        JSON.parse(r.d) as unknown,
        r.v,
        r.u === null ? null : Number(r.u),
      ]);
    }

    test('stores definitions as json, canonical one-shot instants in epoch ms, an unchanged version and updated time as NULL, and reads all back as they were', async () => {
      const schema = freshSchema();
      await migrate(admin, { schema, migrations: MIGRATIONS.slice(0, 13) });
      for (const [id, definition, version, created, updated] of rows) {
        await admin.query(
          `INSERT INTO "${schema}".jobs (id, definition, hash, paused, version, created_at, updated_at)
           VALUES ($1, $2, '\\x00', false, $3, $4, $5)`,
          [id, definition, version, created, updated],
        );
      }
      const store = await openStore({ schema });
      for (const [id, definition, version, createdAt, updatedAt] of rows) {
        expect(await store.jobGet({ id })).toMatchObject({
          definition: { target: { type: 'handler' }, metadata: {}, ...JSON.parse(definition) },
          version,
          createdAt,
          updatedAt,
        });
      }
      expect(await stored(schema)).toEqual([
        ['fresh', { schedule: { kind: 'once', at: MS } }, null, null],
        ['leap', { schedule: { kind: 'once', at: '2030-06-30T23:59:60.000Z' } }, null, null],
        ['odd', { schedule: { kind: 'once', at: '2030-01-01T00:00:00Z' } }, 3, 9],
        [
          'tagged',
          { schedule: { kind: 'cron', expr: '* * * * *' }, metadata: { team: 'a' } },
          2,
          null,
        ],
      ]);
      const table = await admin.query(
        `SELECT reloptions, (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
           WHERE attrelid = c.oid AND attname = 'definition') AS type
         FROM pg_class c WHERE oid = '"${schema}".jobs'::regclass`,
      );
      // 75 by migration 14, 80 since migration 15.
      expect(table.rows).toEqual([{ reloptions: ['fillfactor=80'], type: 'json' }]);
      const list = async (params: { metadata?: Record<string, string>; targetType?: string }) =>
        (await store.jobsList({ limit: 10, ...params })).map((job) => job.id);
      expect(await list({ metadata: { team: 'a' } })).toEqual(['tagged']);
      expect(await list({ metadata: { team: 'b' } })).toEqual([]);
      expect(await list({ targetType: 'handler' })).toEqual(['fresh', 'leap', 'odd', 'tagged']);
    });

    test('the metadata filter is served by jobs_metadata, which holds only jobs with metadata', async () => {
      const schema = freshSchema();
      await migrate(admin, { schema });
      await admin.query(
        `INSERT INTO "${schema}".jobs (id, definition, paused, created_at)
         SELECT 'j' || g, CASE WHEN g % 100 = 0 THEN '{"metadata":{"team":"a"}}' ELSE '{}' END::json,
           false, 1
         FROM generate_series(1, 2000) g`,
      );
      await admin.query(`VACUUM ANALYZE "${schema}".jobs`);
      const client = await admin.connect();
      try {
        await client.query('BEGIN; SET LOCAL enable_seqscan = off');
        const plan = await client.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN SELECT id FROM "${schema}".jobs j
           WHERE (j.definition -> 'metadata')::jsonb @> '{"team":"a"}'::jsonb
             AND j.definition -> 'metadata' IS NOT NULL`,
        );
        expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('jobs_metadata');
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      const { rows: size } = await admin.query<{ n: number }>(
        `SELECT reltuples::int AS n FROM pg_class WHERE oid = '"${schema}".jobs_metadata'::regclass`,
      );
      expect(size).toEqual([{ n: 20 }]);
    });

    test('a job written after it keeps a canonical one-shot instant in epoch ms, any other as written, and its version and updated time NULL only while unchanged', async () => {
      const store = await openStore();
      const definition = (at: string): StoredDefinition => ({
        schedule: { kind: 'once', at },
        target: { type: 'handler' },
        metadata: {},
      });
      const fresh = makeJobRecord({ id: 'fresh', definition: definition(AT) });
      const odd = makeJobRecord({ id: 'odd', definition: definition('2030-01-01T00:00:00Z') });
      const writes = [fresh, odd].map((job) => ({
        job,
        expectedVersion: null,
        dropPlanned: false,
      }));
      expect(await store.jobsWrite({ writes })).toEqual([]);
      expect(await store.jobsGet({ ids: ['fresh', 'odd'] })).toEqual([fresh, odd]);
      const changed = { ...fresh, version: 2, updatedAt: T0 };
      const update = (job: typeof fresh, expectedVersion: number) =>
        store.jobsWrite({ writes: [{ job, expectedVersion, dropPlanned: false }] });
      expect(await update({ ...changed, version: 3 }, 2)).toEqual([0]);
      expect(await update(changed, 1)).toEqual([]);
      expect(await update({ ...changed, version: 3 }, 1)).toEqual([0]);
      expect(await store.jobGet({ id: 'fresh' })).toEqual(changed);
      expect(await stored(store.schema)).toEqual([
        ['fresh', { schedule: { kind: 'once', at: MS } }, 2, T0],
        ['odd', { schedule: { kind: 'once', at: '2030-01-01T00:00:00Z' } }, null, null],
      ]);
    });
  });
});
