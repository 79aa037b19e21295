/**
 * The Postgres store's connections: LISTEN/NOTIFY wake-ups across stores,
 * faults of the connections (terminated backends, a cut network, an
 * unreachable database), a caller's own pool, and the database clock.
 */
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { isChimeError } from '../../src/errors.js';
import type { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import type { JobRecord, StoreChange } from '../../src/stores/store.js';
import { until } from '../helpers/events.js';
import { insertJob, updateJob } from '../helpers/jobs.js';
import { SERVICES, serviceAvailable, uniqueName } from '../helpers/services.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { failure, postgresStores } from './postgres-fixture.js';
import { T0, makeExecutionRecord, makeJobRecord, makeRetention } from './records.js';

const DATABASE_URL = SERVICES.postgres.url;
const available = await serviceAvailable('postgres');

describe.skipIf(!available)('postgres store connections', () => {
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  admin.on('error', () => undefined);
  afterAll(() => admin.end());
  const { makeStore, openStore, cleanups } = postgresStores(admin);

  describe('LISTEN/NOTIFY', () => {
    /** Collects a store's changes; `next()` resolves with the next one matching, within `timeoutMs`. */
    function changesOf(store: PostgresStore) {
      const seen: StoreChange[] = [];
      const waiters: { match: (c: StoreChange) => boolean; resolve: (c: StoreChange) => void }[] =
        [];
      const off = store.onChange((change) => {
        seen.push(change);
        for (const w of waiters.splice(0)) {
          if (w.match(change)) w.resolve(change);
          else waiters.push(w);
        }
      });
      cleanups.push(async () => off());
      const next = (match: (c: StoreChange) => boolean, timeoutMs = 1_000) => {
        const heard = new Promise<StoreChange>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`no matching change within ${timeoutMs} ms`)),
            timeoutMs,
          );
          waiters.push({
            match,
            resolve: (c) => {
              clearTimeout(timer);
              resolve(c);
            },
          });
        });
        // Awaited later by the test; a timeout before then must not count as unhandled.
        heard.catch(() => undefined);
        return heard;
      };
      return { seen, next };
    }

    test('a job created due soon in one store reaches the listeners of another within a second', async () => {
      const a = await openStore();
      const b = await openStore({ schema: a.schema });
      const changes = changesOf(b);
      await changes.next((c) => c.dueAt === 0, 5_000); // listening

      const now = Date.now();
      // Nothing is announced for a job due later than the window, a paused job, or a leased fire.
      await insertJob(a, makeJobRecord({ nextFireAt: now + 86_400_000 }));
      await insertJob(a, makeJobRecord({ nextFireAt: now, paused: true }));
      const job = makeJobRecord({ nextFireAt: now + 500 });
      const heard = changes.next((c) => c.dueAt !== 0);
      await insertJob(a, job);
      expect(await heard).toEqual({ dueAt: now + 500 });

      const trigger = makeExecutionRecord({ jobId: job.id, trigger: 'manual', runAt: now + 5 });
      const triggered = changes.next((c) => c.dueAt === now + 5);
      await a.executionInsert({ execution: trigger });
      await triggered;

      const fire = makeExecutionRecord({ jobId: job.id, fireAt: now + 500, runAt: now + 700 });
      const planned = changes.next((c) => c.dueAt === now + 700);
      const plan = {
        jobId: job.id,
        expectedVersion: 1,
        expectedNextFireAt: now + 500,
        nextFireAt: now + 30_500,
        completedAt: null,
        lastOutcome: null,
        executions: [fire],
        retention: makeRetention(),
      };
      expect((await a.jobsAdvance({ plans: [plan] })).applied).toEqual([job.id]);
      await planned;

      const resumed = changes.next((c) => c.dueAt === now + 30_500);
      await updateJob(a, {
        job: { ...job, nextFireAt: now + 30_500, version: 2 },
        expectedVersion: 1,
        dropPlanned: false,
      });
      await resumed;
      expect(changes.seen.map((c) => c.dueAt)).toEqual([
        0,
        now + 500,
        now + 5,
        now + 700,
        now + 30_500,
      ]);
    });

    test('jobsWrite announces its due-soon jobs on commit; a batch it rolls back announces nothing and keeps its connection', async () => {
      const applicationName = uniqueName('chime_app');
      const a = await openStore({ applicationName, maxConnections: 1 });
      const b = await openStore({ schema: a.schema });
      const changes = changesOf(b);
      await changes.next((c) => c.dueAt === 0, 5_000); // listening
      const backends = async () =>
        (
          await admin.query<{ pid: number }>(
            'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
            [applicationName],
          )
        ).rows.map((r) => r.pid);
      const taken = makeJobRecord({ nextFireAt: null });
      await insertJob(a, taken);
      const before = await backends();
      expect(before).toHaveLength(1);

      const now = Date.now();
      const insert = (job: JobRecord) => ({ job, expectedVersion: null, dropPlanned: false });
      const rolledBack = [
        makeJobRecord({ nextFireAt: now + 100 }),
        makeJobRecord({ id: taken.id }),
      ];
      expect(await a.jobsWrite({ writes: rolledBack.map(insert) })).toEqual([1]);
      expect(await a.jobGet({ id: rolledBack[0]?.id ?? '' })).toBeNull();

      const committed = [
        makeJobRecord({ nextFireAt: null }),
        makeJobRecord({ nextFireAt: now + 300 }),
      ];
      const heard = changes.next((c) => c.dueAt !== 0);
      expect(await a.jobsWrite({ writes: committed.map(insert) })).toEqual([]);
      expect(await heard).toEqual({ dueAt: now + 300 });
      expect(changes.seen.map((c) => c.dueAt)).toEqual([0, now + 300]);
      // The rollback was no connection fault: the pool kept its one connection.
      expect(await backends()).toEqual(before);
    });

    test('pg_terminate_backend of every connection: at most one failed call, and notifications resume', async () => {
      const applicationName = uniqueName('chime_app');
      const store = await openStore({ applicationName });
      const writer = await openStore({ schema: store.schema });
      const changes = changesOf(store);
      await changes.next((c) => c.dueAt === 0, 5_000);
      await Promise.all([1, 2, 3].map((i) => store.jobGet({ id: `warm-${i}` })));

      const { rows } = await admin.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      expect(rows.length).toBeGreaterThanOrEqual(2); // the pool's and the LISTEN connection
      const pids = rows.map((r) => r.pid);
      const resynced = changes.next((c) => c.dueAt === 0, 10_000);
      await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
      await until(async () => {
        const left = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1)', [
          pids,
        ]);
        return left.rows.length === 0;
      });

      const outcomes: unknown[] = [];
      for (let i = 0; i < 6; i++) outcomes.push(await failure(store.jobGet({ id: 'x' })));
      const failed = outcomes.filter((o) => o !== undefined);
      expect(failed.length).toBeLessThanOrEqual(1);
      for (const err of failed) expect(isChimeError(err, 'CHIME_ERR_STORE_UNAVAILABLE')).toBe(true);
      expect(outcomes.slice(1)).toEqual([undefined, undefined, undefined, undefined, undefined]);
      for (let i = 0; i < 3; i++) await insertJob(store, makeJobRecord({ nextFireAt: null }));

      await resynced;
      const job = makeJobRecord({ nextFireAt: Date.now() + 100 });
      const heard = changes.next((c) => c.dueAt === job.nextFireAt);
      await insertJob(writer, job);
      await heard;
    });

    test('a cut network: calls fail fast with CHIME_ERR_STORE_UNAVAILABLE carrying the cause, then recover', async () => {
      const proxy = await new TcpProxy(SERVICES.postgres.host, SERVICES.postgres.port).start();
      cleanups.push(() => proxy.stop());
      const viaProxy = DATABASE_URL.replace(`:${SERVICES.postgres.port}/`, `:${proxy.port}/`);
      const store = await openStore({ connectionString: viaProxy });
      const writer = await openStore({ schema: store.schema });
      const changes = changesOf(store);
      await changes.next((c) => c.dueAt === 0, 5_000);

      proxy.block();
      proxy.cut();
      const started = Date.now();
      const error = await failure(store.jobsDue({ before: T0, limit: 10 }));
      expect(isChimeError(error, 'CHIME_ERR_STORE_UNAVAILABLE')).toBe(true);
      expect((error as Error).cause).toBeInstanceOf(Error);
      expect(Date.now() - started).toBeLessThan(5_000);

      const resynced = changes.next((c) => c.dueAt === 0, 10_000);
      proxy.unblock();
      expect(await store.jobGet({ id: 'x' })).toBeNull();
      await resynced;
      const job = makeJobRecord({ nextFireAt: Date.now() + 100 });
      const heard = changes.next((c) => c.dueAt === job.nextFireAt);
      await insertJob(writer, job);
      await heard;
    });
  });

  describe('connections and clock', () => {
    test('an unreachable database fails open() with CHIME_ERR_STORE_UNAVAILABLE carrying the cause', async () => {
      const store = makeStore({ connectionString: 'postgres://postgres@127.0.0.1:1/test' });
      const error = await failure(store.open());
      expect(isChimeError(error, 'CHIME_ERR_STORE_UNAVAILABLE')).toBe(true);
      expect((error as Error).cause).toBeInstanceOf(Error);
    });

    test('methods of a store that is not open fail with CHIME_ERR_STORE_UNAVAILABLE', async () => {
      const store = makeStore();
      await expect(store.jobsDue({ before: T0, limit: 1 })).rejects.toMatchObject({
        code: 'CHIME_ERR_STORE_UNAVAILABLE',
      });
      await store.open();
      await store.close();
      await expect(store.executionGet({ id: 'x' })).rejects.toMatchObject({
        code: 'CHIME_ERR_STORE_UNAVAILABLE',
      });
    });

    test('a caller-owned pool is used and left open', async () => {
      const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
      pool.on('error', () => undefined);
      cleanups.push(() => pool.end());
      const store = await openStore({ connectionString: undefined, pool });
      const job = makeJobRecord();
      expect(await insertJob(store, job)).toBe(true);
      await store.close();
      const { rows } = await pool.query(`SELECT id FROM "${store.schema}".jobs`);
      expect(rows).toEqual([{ id: job.id }]);
    });

    test('clockSkewMs measures the database clock against the local one', async () => {
      const store = await openStore();
      const skew = await store.clockSkewMs();
      expect(Number.isInteger(skew)).toBe(true);
      expect(Math.abs(skew)).toBeLessThan(1_000);
    });
  });
});
