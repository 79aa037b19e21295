/**
 * What only the Postgres store's registry has: a death told by the instance's
 * session advisory lock, which the server frees when the process dies — and
 * not by a cut connection, which the instance takes again within the grace.
 */
import pg from 'pg';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { quoteIdentifier } from '../../src/stores/postgres/identifiers.js';
import { postgresStore, type PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { LOCK_GRACE_MS } from '../../src/stores/postgres/registry.js';
import { INSTANCE_LOCK_CLASS } from '../../src/stores/postgres/registry-sql.js';
import { until } from '../helpers/events.js';
import { SERVICES, serviceAvailable, uniqueName } from '../helpers/services.js';

const DATABASE_URL = SERVICES.postgres.url;
const available = await serviceAvailable('postgres');
const DEAD_AFTER = 10_000;

describe.skipIf(!available)('postgres registry', () => {
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  admin.on('error', () => undefined);
  const opened: PostgresStore[] = [];
  let schema = '';
  afterAll(() => admin.end());
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema, '/schema')} CASCADE`);
  });

  /** Two stores on one fresh schema, with an instance registered through each. */
  async function twoInstances() {
    schema = uniqueName('chime_reg');
    const stores = [0, 1].map(() => postgresStore({ connectionString: DATABASE_URL, schema }));
    opened.push(...stores);
    const [a, b] = stores as [PostgresStore, PostgresStore];
    await a.open();
    await b.open();
    const now = Date.now();
    for (const [store, id] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      const instance = { id, host: 'h', pid: 1, version: 'v', startedAt: now, capacity: 1 };
      await store.instanceRegister({ instance, now, deadBefore: now - DEAD_AFTER });
    }
    const beat = (store: PostgresStore, id: string) => {
      const at = Date.now();
      return store.instanceBeat({ id, now: at, held: 0, running: 0, deadBefore: at - DEAD_AFTER });
    };
    return { a, b, beat };
  }

  /** The backend holding instance `id`'s lock, or undefined. */
  async function lockHolder(id: string): Promise<number | undefined> {
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT l.pid FROM pg_locks l JOIN ${quoteIdentifier(schema, '/schema')}.instances i
         ON l.objid = i.lock_key::oid
       WHERE i.id = $1 AND l.locktype = 'advisory' AND l.classid = $2::int::oid
         AND l.objsubid = 2 AND l.granted`,
      [id, INSTANCE_LOCK_CLASS],
    );
    return rows[0]?.pid;
  }

  test('an instance whose store is gone (its lock freed) is declared dead at the next beat, long before its silence', async () => {
    const { a, b, beat } = await twoInstances();
    expect(await lockHolder('a')).toBeDefined();
    await a.close(); // the process is gone: no deregistration, its connections end
    const started = Date.now();
    const result = await beat(b, 'b');
    expect(result.declaredDead).toEqual(['a']);
    expect(result.live.map((i) => i.id)).toEqual(['b']);
    // The free lock had its grace, and nothing more: far less than the silence rule's 10 s.
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(LOCK_GRACE_MS - 5);
    expect(took).toBeLessThan(LOCK_GRACE_MS + 1_000);
  });

  test('a cut lock connection is taken again at once: the instance is not declared dead', async () => {
    const { b, beat } = await twoInstances();
    const before = await lockHolder('a');
    await admin.query('SELECT pg_terminate_backend($1)', [before]);
    const result = await beat(b, 'b');
    expect(result.declaredDead).toEqual([]);
    expect(result.live.map((i) => i.id)).toEqual(['a', 'b']);
    await until(async () => {
      const after = await lockHolder('a');
      return after !== undefined && after !== before;
    });
  });

  test('a silent instance that still holds its lock (a stopped process) is dead only by its silence', async () => {
    const { b } = await twoInstances();
    const at = Date.now();
    const soon = await b.instanceBeat({
      id: 'b',
      now: at,
      held: 0,
      running: 0,
      deadBefore: at - DEAD_AFTER,
    });
    expect(soon.declaredDead).toEqual([]);
    const later = at + DEAD_AFTER + 1_000;
    const silent = await b.instanceBeat({
      id: 'b',
      now: later,
      held: 0,
      running: 0,
      deadBefore: later - DEAD_AFTER,
    });
    expect(silent.declaredDead).toEqual(['a']);
  });
});
