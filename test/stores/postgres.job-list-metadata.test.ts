/**
 * The job list's metadata filter on a schema of 100,000 jobs, EXPLAINed as
 * the store sends it (its own statement, `ORDER BY id LIMIT`). Left to the
 * planner, a value no job has walked `jobs_pkey` and tested all 100,000
 * (containment's row estimate is a guess): now the walk is bounded, and
 * rarer values are found through `jobs_metadata`.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { migrate } from '../../src/stores/postgres/migrations.js';
import { bind, statementsFor } from '../../src/stores/postgres/sql.js';
import { SERVICES, serviceAvailable, uniqueName } from '../helpers/services.js';
import { dropSchema } from './postgres-fixture.js';

const available = await serviceAvailable('postgres');

/** Every `Rows Removed by Filter` of a plan (EXPLAIN ANALYZE, FORMAT JSON), added up. */
function rowsFiltered(node: unknown): number {
  if (Array.isArray(node)) return node.reduce((n: number, child) => n + rowsFiltered(child), 0);
  if (typeof node !== 'object' || node === null) return 0;
  const record = node as Record<string, unknown>;
  const own = Number(record['Rows Removed by Filter'] ?? 0);
  return own + Object.values(record).reduce((n: number, v) => n + rowsFiltered(v), 0);
}

/** How many times a plan's nodes on `index` ran (a node the plan skipped ran 0 times). */
function scansOf(node: unknown, index: string): number {
  if (Array.isArray(node)) return node.reduce((n: number, child) => n + scansOf(child, index), 0);
  if (typeof node !== 'object' || node === null) return 0;
  const record = node as Record<string, unknown>;
  const own = record['Index Name'] === index ? Number(record['Actual Loops'] ?? 0) : 0;
  return own + Object.values(record).reduce((n: number, v) => n + scansOf(v, index), 0);
}

describe.skipIf(!available)('postgres job list by metadata, 100,000 jobs', () => {
  const admin = new pg.Pool({ connectionString: SERVICES.postgres.url, max: 2 });
  admin.on('error', () => undefined);
  // One schema for the file (100,000 jobs), dropped after its last test.
  const schema = uniqueName('chime_t');
  afterAll(async () => {
    await dropSchema(admin, schema);
    await admin.end();
  });

  beforeAll(async () => {
    await migrate(admin, { schema });
    // A third of the jobs in team "common", one in a hundred in team "rare", the rest none.
    await admin.query(
      `INSERT INTO "${schema}".jobs (id, definition, paused, created_at, next_fire_at)
       SELECT 'j' || lpad(g::text, 6, '0'), (CASE
           WHEN g % 3 = 0 THEN '{"schedule":{"kind":"once","at":1900000000000},"metadata":{"team":"common"}}'
           WHEN g % 100 = 1 THEN '{"schedule":{"kind":"once","at":1900000000000},"metadata":{"team":"rare"}}'
           ELSE '{"schedule":{"kind":"once","at":1900000000000}}' END)::json,
         false, 1, 1900000000000
       FROM generate_series(1, 100000) g`,
    );
    await admin.query(`VACUUM ANALYZE "${schema}".jobs`);
  }, 60_000);

  /** The plan of a first page of jobs with `team`, and the ids it answers. */
  async function explain(team: string) {
    const query = bind(statementsFor(schema).jobsListMetadata, {
      after_id: '',
      paused: null,
      target_type: null,
      metadata: JSON.stringify({ team }),
      limit: 50,
    });
    const { rows } = await admin.query<{ 'QUERY PLAN': unknown }>({
      text: `EXPLAIN (ANALYZE, FORMAT JSON) ${query.text}`,
      values: query.values,
    });
    const listed = await admin.query<{ id: string }>(query);
    return { plan: rows[0]?.['QUERY PLAN'], ids: listed.rows.map((r) => r.id) };
  }

  test('a value no job has reads no job: it is looked up in jobs_metadata', async () => {
    const { plan, ids } = await explain('nobody');
    expect(ids).toEqual([]);
    expect(scansOf(plan, 'jobs_metadata')).toBe(1);
    expect(rowsFiltered(plan)).toBeLessThan(1_000);
  });

  test('a rare value is looked up in jobs_metadata, and answers its first page in id order', async () => {
    const { plan, ids } = await explain('rare');
    expect(ids).toHaveLength(50);
    expect(ids[0]).toBe('j000001');
    expect(ids).toEqual([...ids].sort());
    expect(scansOf(plan, 'jobs_metadata')).toBe(1);
  });

  test('a common value is found by a short walk of the jobs in id order, jobs_metadata left alone', async () => {
    const { plan, ids } = await explain('common');
    expect(ids).toEqual(
      Array.from({ length: 50 }, (_, i) => `j${String(3 * (i + 1)).padStart(6, '0')}`),
    );
    expect(rowsFiltered(plan)).toBeLessThan(1_000);
    expect(scansOf(plan, 'jobs_metadata')).toBe(0);
  });
});
