/**
 * Postgres migration 10 on a schema with rows: one unique index of a job's
 * executions (`executions_job_fire`) instead of `executions_fire` and
 * `executions_job_recent`, keeping a fire of the schedule unique, manual
 * triggers of one instant apart, and a job's history in order. The plans of
 * the statements that read it: `postgres.test.ts`.
 */
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { SERVICES, serviceAvailable } from '../helpers/services.js';
import { postgresStores } from './postgres-fixture.js';
import { expectOneHistoryIndex } from './migration-checks.js';
import { T0 } from './records.js';

const available = await serviceAvailable('postgres');

describe.skipIf(!available)('postgres migration 10', () => {
  const admin = new pg.Pool({ connectionString: SERVICES.postgres.url, max: 2 });
  admin.on('error', () => undefined);
  afterAll(() => admin.end());
  const { schemaWithJob, openStore } = postgresStores(admin);

  test('one unique index keeps the fires of a schema with rows unique, manual triggers of one instant apart, and the history in order', async () => {
    const schema = await schemaWithJob(9, '{"schedule":{"kind":"interval","every":"1m"}}');
    await admin.query(
      `INSERT INTO "${schema}".executions (id, job_id, fire_at, run_at, trigger, status, attempt,
         lease_token, attempts, created_at)
       SELECT id, 'j', $1, $1, trigger, 'succeeded', 1, 1, '[]', $1
       FROM (VALUES ('m', 'schedule'), ('k', 'manual')) AS v(id, trigger)`,
      [T0],
    );
    const store = await openStore({ schema });
    const indexes = await admin.query<{ name: string }>(
      `SELECT indexname AS name FROM pg_indexes
       WHERE schemaname = $1 AND tablename = 'executions' ORDER BY indexname`,
      [schema],
    );
    expect(indexes.rows.map((row) => row.name)).toEqual([
      'executions_job_fire',
      'executions_pkey',
      'executions_recent',
    ]);

    await expectOneHistoryIndex(store);
  });
});
