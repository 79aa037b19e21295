/**
 * The SQL stores' own counters of their work (`Store.usage`), which the
 * bench reads for statements and rows written per fire.
 */
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import { quoteIdentifier } from '../../src/stores/postgres/identifiers.js';
import { postgresStore } from '../../src/stores/postgres/postgres-store.js';
import { sqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { Store } from '../../src/stores/store.js';
import { tempDir } from '../helpers/files.js';
import { insertJob } from '../helpers/jobs.js';
import { SERVICES, serviceAvailable, uniqueName } from '../helpers/services.js';
import { makeJobRecord } from './records.js';

const postgres = await serviceAvailable('postgres');

describe('store usage counters', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function counts(store: Store) {
    await store.open();
    cleanups.push(() => store.close());
    const before = store.usage?.();
    expect(await insertJob(store, makeJobRecord())).toBe(true);
    await store.jobGet({ id: 'absent' });
    const after = store.usage?.();
    if (!before || !after) throw new Error('no usage counters');
    return { before, after };
  }

  test('SQLite counts every statement run and every row its connection wrote', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const { before, after } = await counts(sqliteStore({ path: join(dir, 'u.db') }));
    // The insert, then the read.
    expect(after.statements - before.statements).toBe(2);
    expect((after.rowsWritten ?? 0) - (before.rowsWritten ?? 0)).toBe(1);
  });

  test.skipIf(!postgres)('Postgres counts every statement sent', async () => {
    const schema = uniqueName('chime_usage');
    const store = postgresStore({ connectionString: SERVICES.postgres.url, schema });
    cleanups.push(async () => {
      const admin = new pg.Client({ connectionString: SERVICES.postgres.url });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema, '/schema')} CASCADE`);
      await admin.end();
    });
    const { before, after } = await counts(store);
    // One job write (one statement: a single write needs no transaction), then the read.
    expect(after.statements - before.statements).toBe(2);
  });
});
