/**
 * The Postgres store: the conformance suite, each test in a schema of its own
 * (dropped afterwards), then what only Postgres has — the validating quoter,
 * query plans on a large table, concurrent claimers on separate connections,
 * the lock order of the statements that change a job and its executions.
 * Migrations: `postgres.migrations.test.ts`; the table of work:
 * `postgres.work-table.test.ts`; connections: `postgres.connections.test.ts`.
 */
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { statsOf } from '../../src/engine/outcome.js';
import { channelName, quoteIdentifier } from '../../src/stores/postgres/identifiers.js';
import { postgresStore, type PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { bind, statementsFor, type StatementName } from '../../src/stores/postgres/sql.js';
import { dumpSchema } from '../../scripts/dump-postgres-schema.js';
import { SERVICES, serviceAvailable, uniqueName } from '../helpers/services.js';
import { until } from '../helpers/events.js';
import { describeStoreConformance } from './conformance.js';
import { dropSchema, postgresStores } from './postgres-fixture.js';
import { PRUNE_DELAY_MS } from '../../src/stores/rules.js';
import type { FinishRequest } from '../../src/stores/store.js';
import { T0, makeAttempt, makeExecutionRecord, makeJobRecord, makeRetention } from './records.js';
import { insertJob, updateJob, maintenanceOf } from '../helpers/jobs.js';

const DATABASE_URL = SERVICES.postgres.url;
const available = await serviceAvailable('postgres');

describe.skipIf(!available)('postgres', () => {
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  admin.on('error', () => undefined);
  afterAll(() => admin.end());

  describeStoreConformance('postgres', async () => {
    const schema = uniqueName('chime_t');
    return {
      store: postgresStore({ connectionString: DATABASE_URL, schema }),
      cleanup: () => dropSchema(admin, schema),
      durable: true,
      reopen: async () => postgresStore({ connectionString: DATABASE_URL, schema }),
    };
  });

  describe('postgres store', () => {
    const { openStore, cleanups } = postgresStores(admin);

    describe('identifiers', () => {
      test.each([
        'Chime',
        'chime-jobs',
        '1chime',
        '',
        'a'.repeat(64),
        'pg_chime',
        'chime"; DROP SCHEMA public CASCADE; --',
        'chime; DROP TABLE x',
        'chïme',
      ])('the schema name %j is refused with CHIME_ERR_OPTION_INVALID', (schema) => {
        expect(() => postgresStore({ connectionString: DATABASE_URL, schema })).toThrow(
          expect.objectContaining({ code: 'CHIME_ERR_OPTION_INVALID', path: '/schema' }),
        );
      });

      test('plain names are quoted; channel names stay within 63 bytes and apart', () => {
        expect(quoteIdentifier('chime_1', '/schema')).toBe('"chime_1"');
        expect(quoteIdentifier('a'.repeat(63), '/schema')).toBe(`"${'a'.repeat(63)}"`);
        expect(channelName('chime')).toBe('chime_changes');
        const long = [`${'a'.repeat(60)}_x`, `${'a'.repeat(60)}_y`].map(channelName);
        for (const channel of long) expect(channel).toMatch(/^[a-z_][a-z0-9_]{0,62}$/);
        expect(long[0]).not.toBe(long[1]);
      });

      test('a store without a connection string or pool is refused', () => {
        expect(() => postgresStore({})).toThrow(
          expect.objectContaining({ code: 'CHIME_ERR_OPTION_INVALID', path: '/connectionString' }),
        );
      });
    });

    describe('schema', () => {
      test('the committed schema dump is up to date', async () => {
        const store = await openStore();
        const committed = await readFile(
          new URL('../../docs/schema/postgres.sql', import.meta.url),
        );
        expect(await dumpSchema(admin, store.schema)).toBe(committed.toString());
      });

      test('the due, claim and take-over queries are served by their indexes on a large table', async () => {
        const store = await openStore();
        await seedHistory(store.schema);
        await admin.query(
          `ANALYZE "${store.schema}".jobs, "${store.schema}".executions, "${store.schema}".work`,
        );
        const explain = planOf(store.schema);
        const common = { now: T0, limit: 10, notify_within_ms: 0, channel: 'x' };
        const share = { share_from: 0, share_to: 32_768, others_before: T0 - 1_000 };
        expect(await explain('jobsDue', { before: T0, limit: 10, ...share })).toContain('jobs_due');
        const next = await explain('nextDueAt', {});
        expect(next).toContain('jobs_due');
        expect(next).toContain('work_due');
        const claim = await explain('executionsClaim', {
          ...common,
          ...share,
          owner: 'o',
          until: T0,
          lease_ms: 1_000,
        });
        expect(claim).toContain('work_due');
        const takeOver = await explain('executionsTakeOver', {
          ...common,
          owner: 'o',
          now_iso: '',
          lease_ms: 1_000,
        });
        expect(takeOver).toContain('work_leased');
        const list = { status: null, before_fire_at: T0, before_id: '', limit: 10 };
        expect(await explain('executionsListJob', { ...list, job_id: 'job-7' })).toContain(
          'executions_job_fire',
        );
        expect(await explain('executionsListAll', list)).toContain('executions_recent');
        const metadata = await explain('jobsListMetadata', {
          after_id: '',
          paused: null,
          target_type: null,
          metadata: '{"n":"3","m":"x"}',
          limit: 10,
        });
        expect(metadata).toMatch(/jobs_metadata|jobs_pkey/);
      });
    });

    test('the pruning, staleness, start and finish statements are served by indexes on a large table', async () => {
      const store = await openStore();
      await seedHistory(store.schema);
      await admin.query(
        `ANALYZE "${store.schema}".jobs, "${store.schema}".executions, "${store.schema}".work`,
      );
      const explain = planOf(store.schema);
      const retention = { keep_lasts: [3, 3], max_ages: [60_000, 60_000], prune_delay_ms: 1 };
      expect(await explain('jobsToPrune', { now: T0, limit: 10 })).toContain('jobs_prune_look');
      expect(await explain('jobsStale', { now: T0, limit: 10 })).toContain('jobs_stale');
      const prune = await explain('executionsPrune', {
        job_id: 'job-7',
        keep_last: 3,
        max_age: 60_000,
        cutoff: T0,
        now: T0,
        limit: 10,
        expected_prune_after: null,
        prune_delay_ms: 1,
      });
      // Since migration 8 the aged ones too: by the job's history, not by finish time.
      expect(prune).toContain('executions_job_fire');
      expect(prune).toContain('jobs_pkey');
      const finish = await explain('executionsFinish', {
        ids: ['e-1', 'e-2'],
        lease_tokens: [1, 1],
        statuses: ['succeeded', 'failed'],
        run_ats: [null, null],
        attempts: [null, null],
        abandoneds: [null, null],
        attempt_nos: [null, null],
        attempt_started_ats: [null, null],
        results: [null, null],
        errors: [null, null],
        on_failures: [null, null],
        finished_ats: [T0, T0],
        keep_lease_untils: [null, null],
        last_outcomes: [null, null],
        froms: ['claimed', 'pending-delivery'],
        succeeded_deltas: [1, 0],
        failed_deltas: [0, 0],
        missed_deltas: [0, 1],
        skipped_deltas: [0, 0],
        last_fire_ats: [T0, null],
        last_success_ats: [T0, null],
        last_failure_ats: [null, null],
        freshes: [true, false],
        ...retention,
      });
      expect(finish).toContain('executions_pkey');
      expect(finish).toContain('jobs_pkey');
      expect(finish).toContain('work_pkey');
      const start = await explain('executionsStart', {
        ids: ['e-1', 'e-2'],
        lease_tokens: [1, 1],
        attempts: [1, 1],
        started_ats: [T0, T0],
        unless_overlappings: [true, false],
        abandoned: [null, null],
      });
      expect(start).toContain('executions_pkey');
      // The overlap check reads the job's history by its index.
      expect(start).toContain('executions_job_fire');
      const marks = await explain('executionsMarkRunning', {
        ids: ['e-1', 'e-2'],
        lease_tokens: [1, 1],
        attempts: [1, 1],
        started_ats: [T0, T0],
      });
      expect(marks).toContain('executions_pkey');
      const leases = { ids: ['e-1', 'e-2'], lease_tokens: [1, 1] };
      const renew = await explain('leasesRenew', { ...leases, until: T0, owner: 'o' });
      const release = await explain('leasesRelease', {
        ...leases,
        notify_within_ms: 0,
        channel: 'x',
      });
      // The fenced writes find their rows by id: statistics that saw few leases make the
      // partial index of leases look like one row, when it holds every lease of a busy instance.
      for (const plan of [start, finish, renew, release]) {
        expect(plan).not.toContain('work_leased');
      }
      for (const plan of [renew, release]) expect(plan).toContain('work_pkey');
    });

    /** EXPLAINs a store statement with bound values; fails on a sequential scan of a store table. */
    function planOf(schema: string) {
      const statements = statementsFor(schema);
      return async (name: StatementName, values: Record<string, unknown>): Promise<string> => {
        const query = bind(statements[name], values as Parameters<typeof bind>[1]);
        const { rows } = await admin.query<{ 'QUERY PLAN': unknown }>({
          text: `EXPLAIN (FORMAT JSON) ${query.text}`,
          values: query.values,
        });
        const plan: unknown = rows[0]?.['QUERY PLAN'];
        expect(seqScans(plan), `${name} scans a whole table`).toEqual([]);
        return JSON.stringify(plan);
      };
    }

    /** 20,000 jobs and 100,000 executions, mostly finished; a tenth with work (due), a few leases. */
    async function seedHistory(schema: string): Promise<void> {
      await admin.query(
        `INSERT INTO "${schema}".jobs (id, definition, paused, next_fire_at, version, created_at,
           updated_at, stale_after_ms, stale_since, prune_after, kept_count)
         SELECT 'job-' || i,
           jsonb_build_object('schedule', jsonb_build_object('kind', 'interval', 'every', '1m'),
             'target', jsonb_build_object('type', 'handler'),
             'metadata', jsonb_build_object('n', (i % 1000)::text)),
           i % 7 = 0, CASE WHEN i % 200 = 0 THEN $1::bigint - i ELSE $1::bigint + i * 1000 END, 1, $1, $1,
           CASE WHEN i % 3 = 0 THEN 3600000 END, CASE WHEN i % 6 = 0 THEN $1 END,
           CASE WHEN i % 2 = 0 THEN $1::bigint + i * 1000 END, 5
         FROM generate_series(1, 20000) i`,
        [T0],
      );
      await admin.query(
        `INSERT INTO "${schema}".executions (id, job_id, fire_at, run_at, trigger, status, attempt,
           lease_owner, lease_until, lease_token, attempts, created_at, finished_at)
         SELECT 'e-' || i, 'job-' || (1 + i % 20000), $1::bigint - i * 1000, $1::bigint - i * 1000, 'schedule',
           CASE WHEN i % 10 = 0 THEN 'scheduled' ELSE 'succeeded' END, 1,
           CASE WHEN i % 1000 = 1 THEN 'x' END, CASE WHEN i % 1000 = 1 THEN $1 + 30000 END, 1,
           '[]', $1, CASE WHEN i % 10 <> 0 THEN $1::bigint - i * 1000 + 500 END
         FROM generate_series(1, 100000) i`,
        [T0],
      );
      await admin.query(
        `INSERT INTO "${schema}".work (id, job_id, run_at, held, lease_until)
         SELECT id, job_id, run_at, lease_owner IS NOT NULL, lease_until FROM "${schema}".executions
         WHERE has_work`,
      );
    }

    describe('locks', () => {
      /** A client of the admin pool inside a transaction, released (rolled back) after the test. */
      async function transaction(): Promise<pg.PoolClient> {
        const client = await admin.connect();
        await client.query('BEGIN');
        cleanups.push(async () => {
          await client.query('ROLLBACK').catch(() => undefined);
          client.release();
        });
        return client;
      }

      /** Whether another transaction holds the job's row lock (NOWAIT fails at once then). */
      async function jobLocked(schema: string, id: string): Promise<boolean> {
        const client = await transaction();
        try {
          await client.query(`SELECT 1 FROM "${schema}".jobs WHERE id = $1 FOR UPDATE NOWAIT`, [
            id,
          ]);
          return false;
        } catch (err) {
          if ((err as { code?: string }).code === '55P03') return true;
          throw err;
        } finally {
          await client.query('ROLLBACK');
        }
      }

      /** Polls until a backend waits for a row lock. */
      async function someoneWaits(): Promise<void> {
        await until(async () => {
          const { rows } = await admin.query(
            "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
          );
          return rows.length > 0;
        });
      }

      test('a finish locks its job before its execution', async () => {
        const store = await openStore();
        const job = makeJobRecord();
        await insertJob(store, job);
        const e = makeExecutionRecord({
          jobId: job.id,
          status: 'running',
          attempt: 1,
          startedAt: T0,
          leaseOwner: 'me',
          leaseUntil: T0 + 30_000,
          leaseToken: 1,
        });
        await store.executionInsert({ execution: e });
        const holder = await transaction();
        await holder.query(`SELECT 1 FROM "${store.schema}".executions WHERE id = $1 FOR UPDATE`, [
          e.id,
        ]);
        const request: FinishRequest = {
          id: e.id,
          jobId: e.jobId,
          leaseToken: 1,
          from: 'claimed',
          status: 'succeeded',
          attempt: makeAttempt(),
          onFailure: null,
          finishedAt: T0 + 1_000,
          lastOutcome: null,
          stats: statsOf('succeeded', e.fireAt, T0 + 1_000),
          retention: makeRetention(),
        };
        const finished = store.executionsFinish({ finishes: [request] });
        await someoneWaits();
        expect(await jobLocked(store.schema, job.id)).toBe(true);
        await holder.query('ROLLBACK');
        expect(await finished).toEqual([true]);
        expect((await store.jobGet({ id: job.id }))?.stats.succeeded).toBe(1);
      });

      test('a start checked for overlap locks its job before its execution', async () => {
        const store = await openStore();
        const job = makeJobRecord();
        await insertJob(store, job);
        const e = makeExecutionRecord({
          jobId: job.id,
          leaseOwner: 'me',
          leaseUntil: T0 + 30_000,
          leaseToken: 1,
        });
        await store.executionInsert({ execution: e });
        const holder = await transaction();
        await holder.query(`SELECT 1 FROM "${store.schema}".executions WHERE id = $1 FOR UPDATE`, [
          e.id,
        ]);
        const started = store.executionsStart({
          starts: [
            {
              id: e.id,
              leaseToken: 1,
              attempt: 1,
              startedAt: T0 + 5 * 60_000,
              unlessOverlapping: true,
            },
          ],
        });
        await someoneWaits();
        expect(await jobLocked(store.schema, job.id)).toBe(true);
        await holder.query('ROLLBACK');
        expect(await started).toEqual(['started']);
      });

      test('a prune skips the executions another transaction holds, without waiting', async () => {
        const store = await openStore();
        const job = makeJobRecord();
        await insertJob(store, job);
        const done = Array.from({ length: 4 }, (_, i) =>
          makeExecutionRecord({
            jobId: job.id,
            fireAt: T0 + i,
            status: 'succeeded',
            attempt: 1,
            finishedAt: T0 + i,
          }),
        );
        for (const execution of done) await store.executionInsert({ execution });
        const holder = await transaction();
        await holder.query(`SELECT 1 FROM "${store.schema}".executions WHERE id = $1 FOR UPDATE`, [
          done[0]?.id,
        ]);
        const prune = () =>
          maintenanceOf(store).executionsPrune({
            jobId: job.id,
            retention: makeRetention({ keepLast: 0 }),
            now: T0 + 60_000,
            limit: 100,
            expectedPruneAfter: null,
          });
        expect(await prune()).toBe(3);
        // The skipped one is still kept: the pruner comes back soon for it.
        expect((await store.jobGet({ id: job.id }))?.pruneAfter).toBe(T0 + 60_000 + PRUNE_DELAY_MS);
        await holder.query('ROLLBACK');
        expect(await prune()).toBe(1);
        expect(await store.executionsList({ jobId: job.id, limit: 10 })).toEqual([]);
      });

      test('finishes, starts, plans, updates and prunes of one job from two stores at once: no deadlock, exact kept count', async () => {
        const a = await openStore();
        const b = await openStore({ schema: a.schema });
        const job = makeJobRecord({ nextFireAt: T0 });
        await insertJob(a, job);
        const retention = makeRetention({ keepLast: 5, maxAgeMs: 60_000 });
        const lease = { leaseOwner: 'me', leaseUntil: T0 + 30_000, leaseToken: 1 };
        const rounds = 15;
        const work = async (store: PostgresStore, side: number) => {
          for (let round = 0; round < rounds; round++) {
            const base = T0 + (side * rounds + round) * 100;
            const running = Array.from({ length: 4 }, (_, i) =>
              makeExecutionRecord({
                jobId: job.id,
                trigger: 'manual',
                fireAt: base + i,
                status: 'running',
                attempt: 1,
                startedAt: base,
                ...lease,
              }),
            );
            const planned = Array.from({ length: 3 }, (_, i) =>
              makeExecutionRecord({
                jobId: job.id,
                trigger: 'manual',
                fireAt: base + 10 + i,
                ...lease,
              }),
            );
            for (const execution of [...running, ...planned])
              await store.executionInsert({ execution });
            await Promise.all([
              store.executionsFinish({
                finishes: [
                  ...running.map((e, i) => {
                    const status = i % 2 === 0 ? ('succeeded' as const) : ('failed' as const);
                    return {
                      id: e.id,
                      jobId: e.jobId,
                      leaseToken: 1,
                      from: 'claimed' as const,
                      status,
                      attempt: makeAttempt(),
                      onFailure: null,
                      finishedAt: base + 50,
                      lastOutcome: null,
                      stats: statsOf(status, e.fireAt, base + 50),
                      retention,
                    };
                  }),
                  // The third planned fire ends without running: missed.
                  ...planned.slice(2).map((e) => ({
                    id: e.id,
                    jobId: e.jobId,
                    leaseToken: 1,
                    from: 'claimed' as const,
                    status: 'missed' as const,
                    onFailure: null,
                    finishedAt: base + 60,
                    lastOutcome: null,
                    stats: statsOf('missed', e.fireAt, base + 60),
                    retention,
                  })),
                ],
              }),
              store.executionsStart({
                starts: planned.slice(0, 2).map((e, i) => ({
                  id: e.id,
                  leaseToken: 1,
                  attempt: 1,
                  startedAt: base + 60,
                  unlessOverlapping: i === 1,
                })),
              }),
              maintenanceOf(store).executionsPrune({
                jobId: job.id,
                retention,
                now: base + 120_000,
                limit: 3,
                expectedPruneAfter: (await store.jobGet({ id: job.id }))?.pruneAfter ?? null,
              }),
              (async () => {
                const current = await store.jobGet({ id: job.id });
                if (!current) return;
                await updateJob(store, {
                  job: { ...current, version: current.version + 1 },
                  expectedVersion: current.version,
                  dropPlanned: true,
                });
              })(),
            ]);
          }
        };
        await Promise.all([work(a, 0), work(b, 1)]);
        const { rows } = await admin.query<{ kept: string; actual: string }>(
          `SELECT j.kept_count AS kept,
             (SELECT count(*) FROM "${a.schema}".executions e WHERE e.job_id = j.id AND NOT e.has_work) AS actual
           FROM "${a.schema}".jobs j WHERE j.id = $1`,
          [job.id],
        );
        expect(Number(rows[0]?.kept)).toBe(Number(rows[0]?.actual));
        const stats = (await a.jobGet({ id: job.id }))?.stats;
        expect(stats).toMatchObject({
          succeeded: 2 * rounds * 2,
          failed: 2 * rounds * 2,
          missed: 2 * rounds,
        });
      });
    });

    describe('several stores on one schema', () => {
      test('two stores claiming at once never get the same execution', async () => {
        const a = await openStore();
        const b = await openStore({ schema: a.schema });
        const job = makeJobRecord();
        await insertJob(a, job);
        const all: string[] = [];
        for (let i = 0; i < 200; i++) {
          const execution = makeExecutionRecord({ jobId: job.id, fireAt: T0 + i, runAt: T0 - i });
          await a.executionInsert({ execution });
          all.push(execution.id);
        }
        const claimAll = async (store: PostgresStore, owner: string) => {
          const got: string[] = [];
          // Bounded: a store that hands work out twice must fail, not spin.
          for (let round = 0; round <= all.length; round++) {
            const claims = await store.executionsClaim({
              owner,
              now: T0,
              until: T0,
              leaseMs: 30_000,
              limit: 7,
            });
            if (claims.length === 0) return got;
            got.push(...claims.map((c) => c.execution.id));
          }
          throw new Error('claims never ran dry');
        };
        const results = await Promise.all([
          claimAll(a, 'a1'),
          claimAll(b, 'b1'),
          claimAll(a, 'a2'),
          claimAll(b, 'b2'),
        ]);
        const claimed = results.flat();
        expect(results.filter((ids) => ids.length > 0).length).toBeGreaterThan(1);
        expect(new Set(claimed).size).toBe(claimed.length);
        expect([...claimed].sort()).toEqual([...all].sort());
      });

      test('two stores applying the same plan at once: one applies, one execution per fire', async () => {
        const a = await openStore();
        const b = await openStore({ schema: a.schema });
        for (let round = 0; round < 10; round++) {
          const job = makeJobRecord();
          await insertJob(a, job);
          const planFor = (owner: string) => ({
            jobId: job.id,
            expectedVersion: 1,
            expectedNextFireAt: T0,
            nextFireAt: T0 + 60_000,
            completedAt: null,
            lastOutcome: null,
            retention: makeRetention(),
            executions: [
              makeExecutionRecord({
                jobId: job.id,
                leaseOwner: owner,
                leaseUntil: T0 + 30_000,
                leaseToken: 1,
              }),
            ],
          });
          const results = await Promise.all([
            a.jobsAdvance({ plans: [planFor('a')] }),
            b.jobsAdvance({ plans: [planFor('b')] }),
          ]);
          expect(results.map((r) => r.applied.length).sort()).toEqual([0, 1]);
          expect(results.flatMap((r) => r.claims)).toHaveLength(1);
          expect(await a.executionsList({ jobId: job.id, limit: 10 })).toHaveLength(1);
        }
      });

      test('batches of 1,000 are planned, started, renewed and finished in one call each', async () => {
        const store = await openStore();
        const job = makeJobRecord();
        await insertJob(store, job);
        const fires = Array.from({ length: 1_000 }, (_, i) =>
          makeExecutionRecord({
            jobId: job.id,
            fireAt: T0 + i,
            leaseOwner: 'me',
            leaseUntil: T0 + 30_000,
            leaseToken: 1,
          }),
        );
        const plan = {
          jobId: job.id,
          expectedVersion: 1,
          expectedNextFireAt: T0,
          nextFireAt: T0 + 1_000,
          completedAt: null,
          lastOutcome: null,
          executions: fires,
          retention: makeRetention(),
        };
        const { claims } = await store.jobsAdvance({ plans: [plan] });
        expect(claims.map((c) => c.execution.id).sort()).toEqual(fires.map((f) => f.id).sort());
        const starts = fires.map((f) => ({
          id: f.id,
          leaseToken: 1,
          attempt: 1,
          startedAt: T0 + 5,
          unlessOverlapping: false,
        }));
        expect(new Set(await store.executionsStart({ starts }))).toEqual(new Set(['started']));
        const renewed = await store.leasesRenew({ owner: 'me', leases: fires, until: T0 + 60_000 });
        expect(renewed).toHaveLength(1_000);
        const finishes = fires.map((f) => ({
          id: f.id,
          jobId: f.jobId,
          leaseToken: 1,
          from: 'claimed' as const,
          status: 'succeeded' as const,
          result: { i: f.fireAt - T0 },
          onFailure: null,
          finishedAt: T0 + 10,
          lastOutcome: null,
          retention: makeRetention(),
        }));
        expect(new Set(await store.executionsFinish({ finishes }))).toEqual(new Set([true]));
        const last = await store.executionGet({ id: fires[999]?.id ?? '' });
        expect(last).toMatchObject({ status: 'succeeded', result: { i: 999 }, leaseOwner: null });
      });

      test('overlap-checked starts of one job from two stores at once: answers of one order or the other', async () => {
        const a = await openStore();
        const b = await openStore({ schema: a.schema });
        for (let round = 0; round < 10; round++) {
          const job = makeJobRecord();
          await insertJob(a, job);
          const lease = { leaseOwner: 'x', leaseUntil: T0 + 30_000, leaseToken: 1 };
          const first = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...lease });
          const second = makeExecutionRecord({ jobId: job.id, fireAt: T0 + 1, ...lease });
          await a.executionInsert({ execution: first });
          await a.executionInsert({ execution: second });
          const start = (id: string) => ({
            id,
            leaseToken: 1,
            attempt: 1,
            startedAt: T0,
            unlessOverlapping: true,
          });
          const [ra, rb] = await Promise.all([
            a.executionsStart({ starts: [start(first.id)] }),
            b.executionsStart({ starts: [start(second.id)] }),
          ]);
          // The jobs are locked in the start's transaction, so the two decide one after the other:
          // the earlier fire always starts; the later one starts only if it decided first.
          expect(ra).toEqual(['started']);
          expect(rb).toEqual([expect.stringMatching(/^(started|overlapping)$/)]);
          const later = await b.executionGet({ id: second.id });
          expect(later?.status).toBe(rb[0] === 'overlapping' ? 'scheduled' : 'running');
        }
      });
    });
  });
});

/** The store tables a plan (EXPLAIN FORMAT JSON) reads by sequential scan. */
function seqScans(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(seqScans);
  if (typeof node !== 'object' || node === null) return [];
  const record = node as Record<string, unknown>;
  const own =
    record['Node Type'] === 'Seq Scan' &&
    /^(jobs|executions|work)$/.test(String(record['Relation Name']))
      ? [String(record['Relation Name'])]
      : [];
  return [...own, ...Object.values(record).flatMap(seqScans)];
}
