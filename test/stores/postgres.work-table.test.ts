/**
 * The Postgres store's table of work (migration 8): it mirrors exactly the
 * executions that have work through every write; a schema of version 7
 * holding rows is migrated to it in one step; and a fire's finish then
 * updates its execution and its job in place (HOT: no indexed column changes,
 * no new index entries), with the pruner's look set at the plan.
 */
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { MIGRATIONS, migrate } from '../../src/stores/postgres/migrations.js';
import type { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { PRUNE_DELAY_MS } from '../../src/stores/rules.js';
import { SERVICES, serviceAvailable } from '../helpers/services.js';
import { until } from '../helpers/events.js';
import { insertJob, maintenanceOf, updateJob } from '../helpers/jobs.js';
import { postgresStores } from './postgres-fixture.js';
import { T0, makeAttempt, makeExecutionRecord, makeJobRecord } from './records.js';
import {
  LEASE,
  MIN,
  RETENTION,
  agedOut,
  finish,
  leased,
  plan,
  start,
} from './conformance/fixture.js';

const available = await serviceAvailable('postgres');

/** The granularity the store rounds a plan's look down to (postgres-store.ts PRUNE_PARAMS). */
const GRANULARITY_MS = 10_000;

describe.skipIf(!available)('postgres table of work', () => {
  const admin = new pg.Pool({ connectionString: SERVICES.postgres.url, max: 4 });
  admin.on('error', () => undefined);
  afterAll(() => admin.end());
  const { freshSchema, openStore } = postgresStores(admin);

  type WorkRow = {
    id: string;
    run_at: number;
    held: boolean;
    lease_until: number | null;
  };

  /** The rows of `work`, and what they should be: the executions with work, by id. */
  async function workAndExpected(schema: string): Promise<[WorkRow[], WorkRow[]]> {
    const read = async (sql: string) =>
      (await admin.query<WorkRow>({ text: sql, types: { getTypeParser: numberParser } })).rows;
    return [
      await read(`SELECT id, run_at, held, lease_until FROM "${schema}".work ORDER BY id`),
      await read(`SELECT id, run_at, lease_owner IS NOT NULL AS held, lease_until FROM "${schema}".executions
        WHERE has_work ORDER BY id`),
    ];
  }

  async function expectMirrored(store: PostgresStore, present: number): Promise<void> {
    const [work, expected] = await workAndExpected(store.schema);
    expect(work).toEqual(expected);
    expect(work).toHaveLength(present);
  }

  test('mirrors the executions with work through plans, claims, retries, releases, take-overs, voids and removals', async () => {
    const store = await openStore();
    const job = makeJobRecord({ nextFireAt: T0 });
    expect(await insertJob(store, job)).toBe(true);
    const free = makeExecutionRecord({ jobId: job.id, fireAt: T0 });
    const held = makeExecutionRecord({ jobId: job.id, fireAt: T0 + MIN, ...leased('a', 1) });
    const later = makeExecutionRecord({ jobId: job.id, fireAt: T0 + 2 * MIN });
    const planned = plan(job, { nextFireAt: T0 + 3 * MIN, executions: [free, held, later] });
    await store.jobsAdvance({ plans: [planned] });
    await expectMirrored(store, 3);

    const [claimed] = await store.executionsClaim({
      owner: 'b',
      now: T0,
      until: T0 + 1_000,
      leaseMs: LEASE,
      limit: 1,
    });
    expect(claimed?.execution.id).toBe(free.id);
    await expectMirrored(store, 3);
    const ownLease = claimed?.execution ?? free;
    expect(await store.executionsStart({ starts: [start(ownLease)] })).toEqual(['started']);
    expect(
      await store.leasesRenew({ owner: 'b', leases: [ownLease], until: T0 + 2 * LEASE }),
    ).toEqual([free.id]);
    await expectMirrored(store, 3);

    // A failed attempt waiting for its retry keeps its work, due later and unleased.
    const retry = finish(ownLease, {
      status: 'scheduled',
      runAt: T0 + 5 * MIN,
      attempt: makeAttempt({ outcome: 'failed' }),
    });
    expect(await store.executionsFinish({ finishes: [retry] })).toEqual([true]);
    await expectMirrored(store, 3);

    // The held fire's lease expires and is taken over; then its new holder stops cleanly.
    const taken = await store.executionsTakeOver({
      owner: 'c',
      now: T0 + LEASE + 1,
      leaseMs: LEASE,
      limit: 10,
    });
    expect(taken.map((c) => c.execution.id)).toEqual([held.id]);
    await expectMirrored(store, 3);
    const instance = { id: 'c', host: 'h', pid: 1, version: 'v', startedAt: T0, capacity: 1 };
    await store.instanceRegister({ instance, now: T0 + LEASE + 2, deadBefore: T0 });
    await store.instanceDeregister({ id: 'c', now: T0 + LEASE + 3 });
    await expectMirrored(store, 3);

    // A lease given back, then the fire ends for good: its work goes.
    const [again] = await store.executionsClaim({
      owner: 'd',
      now: T0 + 6 * MIN,
      until: T0 + 6 * MIN,
      leaseMs: LEASE,
      limit: 1,
    });
    expect(again).toBeDefined();
    const lease = again?.execution ?? free;
    await store.leasesRelease({ leases: [lease] });
    await expectMirrored(store, 3);
    const [last] = await store.executionsClaim({
      owner: 'd',
      now: T0 + 6 * MIN,
      until: T0 + 6 * MIN,
      leaseMs: LEASE,
      limit: 1,
    });
    const done = finish(last?.execution ?? free, { finishedAt: T0 + 6 * MIN });
    expect(await store.executionsFinish({ finishes: [done] })).toEqual([true]);
    await expectMirrored(store, 2);

    // A schedule change drops the planned fire nobody holds, and its work.
    const moved = { ...job, version: 2, nextFireAt: T0 + 3 * MIN };
    await updateJob(store, { job: moved, expectedVersion: 1, dropPlanned: true });
    await expectMirrored(store, 1);
    const removal = { job: moved, expectedVersion: 2, remove: true, dropPlanned: false };
    expect(await store.jobsWrite({ writes: [removal] })).toEqual([]);
    await expectMirrored(store, 0);
  });

  test('migration 8 gives the executions with work of a version-7 schema their work rows, in one step', async () => {
    const schema = freshSchema();
    expect(await migrate(admin, { schema, migrations: MIGRATIONS.slice(0, 7) })).toEqual([
      1, 2, 3, 4, 5, 6, 7,
    ]);
    await admin.query(
      `INSERT INTO "${schema}".jobs (id, definition, hash, paused, version, created_at, updated_at,
         prune_after)
       VALUES ('a', '{"metadata":{}}', 'h', false, 1, 1, 1, ${T0 + 5}),
              ('b', '{"metadata":{}}', 'h', false, 1, 2, 2, NULL)`,
    );
    // id, status, run_at, lease owner, lease until, onFailure, finished at
    const rows: [
      string,
      string,
      number,
      string | null,
      number | null,
      string | null,
      number | null,
    ][] = [
      ['due', 'scheduled', T0, null, null, null, null],
      ['later', 'scheduled', T0 + MIN, null, null, null, null],
      ['expired', 'running', T0 - MIN, 'gone', T0 - 1, null, null],
      ['held', 'scheduled', T0, 'alive', T0 + LEASE, null, null],
      ['pending', 'failed', T0 - MIN, null, null, 'pending', T0 - 1],
      ['done', 'succeeded', T0 - 2 * MIN, null, null, null, T0 - 2],
      ['delivered', 'failed', T0 - 3 * MIN, null, null, 'delivered', T0 - 3],
    ];
    for (const [
      i,
      [id, status, runAt, owner, leaseUntil, onFailure, finishedAt],
    ] of rows.entries()) {
      await admin.query(
        `INSERT INTO "${schema}".executions (id, job_id, fire_at, run_at, trigger, status, attempt,
           lease_owner, lease_until, lease_token, attempts, on_failure, created_at, finished_at)
         VALUES ($1, 'a', $2, $3, 'schedule', $4, 0, $5, $6, 1, '[]', $7, $2, $8)`,
        [id, T0 - 10 * MIN + i, runAt, status, owner, leaseUntil, onFailure, finishedAt],
      );
    }

    expect(await migrate(admin, { schema, migrations: MIGRATIONS.slice(0, 8) })).toEqual([8]);
    const [work, expected] = await workAndExpected(schema);
    expect(work).toEqual(expected);
    expect(work.map((w) => w.id)).toEqual(['due', 'expired', 'held', 'later', 'pending']);
    const looks = await admin.query<{ id: string; prune_look: string | null }>(
      `SELECT id, prune_look FROM "${schema}".jobs ORDER BY id`,
    );
    expect(looks.rows).toEqual([
      { id: 'a', prune_look: String(T0 + 5) },
      { id: 'b', prune_look: null },
    ]);

    // The store works on it: the due fires and the onFailure delivery are claimed in due order,
    // the expired lease is taken over, the next due time is read, the pruner finds the job.
    const store = await openStore({ schema });
    expect(await store.nextDueAt()).toBe(T0 - MIN);
    const claims = await store.executionsClaim({
      owner: 'me',
      now: T0,
      until: T0 + 1_000,
      leaseMs: LEASE,
      limit: 10,
    });
    expect(claims.map((c) => c.execution.id)).toEqual(['pending', 'due']);
    const taken = await store.executionsTakeOver({
      owner: 'me',
      now: T0,
      leaseMs: LEASE,
      limit: 10,
    });
    expect(taken.map((c) => [c.execution.id, c.takenFrom])).toEqual([['expired', 'gone']]);
    expect(
      (await maintenanceOf(store).jobsToPrune({ now: T0 + 5, limit: 10 })).map((j) => j.id),
    ).toEqual(['a']);
    await expectMirrored(store, 5);
  });

  test("a one-shot's finish updates its execution and its job in place, the pruner's look set at the plan", async () => {
    const store = await openStore();
    const schema = store.schema;
    const job = makeJobRecord({ nextFireAt: T0 });
    expect(await insertJob(store, job)).toBe(true);
    const fire = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...leased('me', 1) });
    await store.jobsAdvance({
      plans: [plan(job, { nextFireAt: null, completedAt: T0, executions: [fire] })],
    });
    const look =
      Math.floor((T0 + RETENTION.maxAgeMs + PRUNE_DELAY_MS) / GRANULARITY_MS) * GRANULARITY_MS;
    const lookOf = async () =>
      (await admin.query<{ l: string }>(`SELECT prune_look::text AS l FROM "${schema}".jobs`))
        .rows[0]?.l;
    expect(await lookOf()).toBe(String(look));
    // What the contract says of pruneAfter is unchanged: nothing was prunable yet.
    expect((await store.jobGet({ id: job.id }))?.pruneAfter).toBeNull();

    const done = finish(fire, { finishedAt: T0 + 5 });
    expect(await store.executionsFinish({ finishes: [done] })).toEqual([true]);
    expect((await store.jobGet({ id: job.id }))?.pruneAfter).toBe(agedOut(T0 + 5));
    expect(await lookOf()).toBe(String(look));
    // The pruner finds the job by its look once its pruneAfter is due, not before.
    const toPrune = (now: number) => maintenanceOf(store).jobsToPrune({ now, limit: 10 });
    expect(await toPrune(agedOut(T0 + 5) - 1)).toEqual([]);
    expect((await toPrune(agedOut(T0 + 5))).map((j) => j.id)).toEqual([job.id]);

    // A backend reports its table statistics when it ends: close the store's connections.
    await store.close();
    type Counts = { relname: string; n_tup_upd: string; n_tup_hot_upd: string };
    let counts: Counts[] = [];
    await until(async () => {
      counts = (
        await admin.query<Counts>(
          `SELECT relname, n_tup_upd::text, n_tup_hot_upd::text FROM pg_stat_user_tables
           WHERE schemaname = $1 AND relname IN ('jobs', 'executions') ORDER BY relname`,
          [schema],
        )
      ).rows;
      return counts.length === 2 && counts.every((c) => c.n_tup_upd !== '0');
    });
    // executions: the finish, in place. jobs: the plan (its next fire leaves jobs_due), then the
    // finish, in place.
    expect(counts).toEqual([
      { relname: 'executions', n_tup_upd: '1', n_tup_hot_upd: '1' },
      { relname: 'jobs', n_tup_upd: '2', n_tup_hot_upd: '1' },
    ]);
  });
  test("the pruner's look follows pruneAfter through a job update and a pruning pass", async () => {
    const store = await openStore();
    const lookAndAfter = async () =>
      (
        await admin.query<{ look: string | null; after: string | null }>(
          `SELECT prune_look::text AS look, prune_after::text AS after FROM "${store.schema}".jobs`,
        )
      ).rows[0];
    const job = makeJobRecord({ nextFireAt: T0 });
    expect(await insertJob(store, job)).toBe(true);
    const planned = makeExecutionRecord({ jobId: job.id, fireAt: T0 });
    await store.jobsAdvance({ plans: [plan(job, { executions: [planned] })] });
    expect((await lookAndAfter())?.look).not.toBeNull();
    // The planned fire is dropped by a schedule change: its look goes with it.
    const moved = { ...job, version: 2, nextFireAt: T0 + MIN };
    await updateJob(store, { job: moved, expectedVersion: 1, dropPlanned: true });
    expect(await lookAndAfter()).toEqual({ look: null, after: null });

    // A pass plans the next look from what it kept, and the look follows.
    const [claimed] = await store
      .jobsAdvance({
        plans: [
          plan(moved, {
            executions: [
              makeExecutionRecord({ jobId: job.id, fireAt: T0 + MIN, ...leased('me', 1) }),
            ],
          }),
        ],
      })
      .then((r) => r.claims);
    const done = finish(claimed?.execution ?? planned, { finishedAt: T0 + MIN + 5 });
    expect(await store.executionsFinish({ finishes: [done] })).toEqual([true]);
    const pruneAfter = agedOut(T0 + MIN + 5);
    expect((await lookAndAfter())?.after).toBe(String(pruneAfter));
    const pruned = await maintenanceOf(store).executionsPrune({
      jobId: job.id,
      retention: RETENTION,
      now: pruneAfter,
      limit: 100,
      expectedPruneAfter: pruneAfter,
    });
    expect(pruned).toBe(1);
    expect(await lookAndAfter()).toEqual({ look: null, after: null });
  });
});

/** BIGINT as a number, as the store reads it. */
function numberParser(oid: number): (value: string) => unknown {
  return oid === 20 ? Number : (value: string) => value;
}
