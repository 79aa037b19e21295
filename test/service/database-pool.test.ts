/**
 * `--postgres-pool-size` sizes the Postgres pool of `chime serve`: a
 * burst of requests on a service started with 2 opens no more than 2
 * connections for its statements, where the default (10) opens more.
 */
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { quoteIdentifier } from '../../src/stores/postgres/identifiers.js';
import { SERVICES, serviceAvailable, uniqueName } from '../helpers/services.js';
import { call, startTestService, type TestService } from './harness.js';

const available = await serviceAvailable('postgres');

describe.skipIf(!available)('the Postgres pool of chime serve', () => {
  const admin = new pg.Pool({ connectionString: SERVICES.postgres.url, max: 2 });
  admin.on('error', () => undefined);
  afterAll(() => admin.end());
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A service on a schema of its own, with these flags; closed and its schema dropped after. */
  async function serve(
    flags: Record<string, string>,
  ): Promise<{ app: TestService; schema: string }> {
    const schema = uniqueName('chime_pool');
    cleanups.push(async () => {
      await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema, '/schema')} CASCADE`);
    });
    const app = await startTestService({
      'database-url': `${SERVICES.postgres.url}?schema=${schema}`,
      ...flags,
    });
    cleanups.push(() => app.close());
    return { app, schema };
  }

  /**
   * The connections whose last statement named the schema (the LISTEN client
   * left out), after bursts of 40 requests: the most seen after any of five
   * (one burst on a fast hour may be served by two connections).
   */
  async function connectionsAfterBurst(app: TestService, schema: string): Promise<number> {
    let most = 0;
    for (let burst = 0; burst < 5; burst++) {
      await Promise.all(Array.from({ length: 40 }, () => call(app.url, 'GET', '/v1/jobs?limit=1')));
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE position($1 in query) > 0 AND query NOT ILIKE 'LISTEN%'`,
        [schema],
      );
      most = Math.max(most, rows[0]?.n ?? 0);
    }
    return most;
  }

  it('--postgres-pool-size 2 holds the pool to 2 connections; the default opens more', async () => {
    const small = await serve({ 'postgres-pool-size': '2' });
    const used = await connectionsAfterBurst(small.app, small.schema);
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThanOrEqual(2);
    const wide = await serve({});
    expect(await connectionsAfterBurst(wide.app, wide.schema)).toBeGreaterThan(2);
  });
});
