/**
 * The NATS store's executions as keys of their own (issue 17): a job's
 * backlog of 3,000 due executions is drained, each run once, with no value
 * written larger than a few KB; and the steps that span an execution's key
 * and its job's document, interrupted between two writes (the state a crash
 * leaves, written here directly in the store's own format), settle exactly
 * once: no statistic lost, none counted twice.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { createScheduler, cron, once, type Scheduler } from '../../src/index.js';
import { newJobRecord } from '../../src/scheduler/job-records.js';
import {
  encode,
  keyOf,
  planTag,
  workKey,
  type JobDocument,
  type Work,
} from '../../src/stores/nats/documents.js';
import type { NatsStore } from '../../src/stores/nats/index.js';
import type { ExecutionRecord, FinishRequest, StatsDelta } from '../../src/stores/store.js';
import { until } from '../helpers/events.js';
import { silent } from '../helpers/scheduler.js';
import { serviceAvailable } from '../helpers/services.js';
import { NATS_URL, natsStores, planAtT0 } from './nats-fixture.js';
import {
  makeAttempt,
  makeExecutionRecord,
  makeJobRecord,
  makeLastOutcome,
  makeRetention,
  T0,
} from './records.js';

const available = await serviceAvailable('nats');

const SUCCEEDED: StatsDelta = {
  succeeded: 1,
  failed: 0,
  missed: 0,
  skipped: 0,
  lastFireAt: T0,
  lastSuccessAt: T0 + 1_000,
  lastFailureAt: null,
  fresh: true,
};

describe.skipIf(!available)('nats store: executions as keys of their own', () => {
  const { makeStore, cleanup } = natsStores();
  const schedulers: Scheduler[] = [];
  const connections: NatsConnection[] = [];
  afterEach(async () => {
    await Promise.all(schedulers.splice(0).map((s) => s.stop({ timeoutMs: 1_000 })));
    await Promise.all(connections.splice(0).map((nc) => nc.close()));
    await cleanup();
  });

  /** The largest value this store writes to its jobs bucket from now on, in bytes. */
  async function largestWrite(store: NatsStore): Promise<() => { bytes: number; subject: string }> {
    const nc = await connect({ servers: NATS_URL });
    connections.push(nc);
    let largest = { bytes: 0, subject: '' };
    nc.subscribe(`$KV.${store.prefix}_jobs.>`, {
      callback: (_err, msg) => {
        if (msg.data.length > largest.bytes)
          largest = { bytes: msg.data.length, subject: msg.subject };
      },
    });
    await nc.flush();
    return () => largest;
  }

  /** The subjects of every KV write to any of this store's buckets from now on, in order. */
  async function kvWrites(store: NatsStore): Promise<() => string[]> {
    const nc = await connect({ servers: NATS_URL });
    connections.push(nc);
    const subjects: string[] = [];
    nc.subscribe('$KV.*.>', {
      callback: (_err, msg) => {
        if (msg.subject.startsWith(`$KV.${store.prefix}_`)) subjects.push(msg.subject);
      },
    });
    await nc.flush();
    return () => subjects;
  }

  /** A key of the store's jobs bucket written as a crashed writer left it. */
  async function putRaw(store: NatsStore, key: string, value: unknown): Promise<void> {
    const nc = await connect({ servers: NATS_URL });
    connections.push(nc);
    const kv = await new Kvm(nc).open(`${store.prefix}_jobs`);
    await kv.put(key, encode(value));
  }

  /** A key of the store's jobs bucket as stored. */
  async function readRaw<T>(store: NatsStore, key: string): Promise<T> {
    const nc = await connect({ servers: NATS_URL });
    connections.push(nc);
    const entry = await (await new Kvm(nc).open(`${store.prefix}_jobs`)).get(key);
    return JSON.parse(entry?.string() ?? 'null') as T;
  }

  /** Two take-over passes: the second settles what the first already saw unsettled. */
  async function sweep(store: NatsStore): Promise<void> {
    for (let i = 0; i < 2; i++)
      await store.executionsTakeOver({ owner: 'sweeper', now: T0, leaseMs: 1_000, limit: 10 });
  }

  test('a job with 3,000 due executions is drained, each run once, no value written over 4 KB', async () => {
    const store = makeStore();
    await store.open();
    const now = Date.now();
    const job = newJobRecord('backlog', { schedule: once(new Date(now + 86_400_000)) }, now);
    expect(
      await store.jobsWrite({ writes: [{ job, expectedVersion: null, dropPlanned: false }] }),
    ).toEqual([]);
    const largest = await largestWrite(store);
    const backlog = Array.from({ length: 3_000 }, (_, i) =>
      makeExecutionRecord({
        jobId: job.id,
        trigger: 'manual',
        fireAt: now - 60_000 + i,
        createdAt: now,
      }),
    );
    expect(await store.executionsInsert({ executions: backlog })).toHaveLength(3_000);
    const runs = new Map<string, number>();
    const scheduler = createScheduler({ store, logger: silent, concurrency: 50 });
    schedulers.push(scheduler);
    scheduler.setHandler(
      (ctx) => void runs.set(ctx.executionId, (runs.get(ctx.executionId) ?? 0) + 1),
    );
    let succeeded = 0;
    const drained = new Promise<void>((resolve) =>
      scheduler.on('execution:succeeded', () => ++succeeded === backlog.length && resolve()),
    );
    await scheduler.start();
    await drained;
    expect(runs.size).toBe(3_000);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect((await store.jobGet({ id: job.id }))?.stats.succeeded).toBe(3_000);
    const { bytes, subject } = largest();
    console.info(
      `nats: draining 3,000 executions of one job: largest value written ${bytes} B (${subject})`,
    );
    expect(bytes).toBeLessThan(4_096);
  }, 240_000);

  test('an end is two writes (its execution, its job) while its job names at most 8 debts, then three (its execution again); records stay in their keys until pruned, the statistics after, the debts then forgotten', async () => {
    const store = makeStore();
    await store.open();
    const job = makeJobRecord();
    await store.jobsWrite({ writes: [{ job, expectedVersion: null, dropPlanned: false }] });
    const executions = Array.from({ length: 10 }, (_, i) =>
      makeExecutionRecord({ jobId: job.id, fireAt: T0 + i, runAt: T0 }),
    );
    expect(await store.executionsInsert({ executions })).toHaveLength(10);
    const claims = await store.executionsClaim({
      owner: 'a',
      now: T0,
      until: T0,
      leaseMs: 30_000,
      limit: 10,
    });
    const starts = claims.map(({ execution: e }) => ({
      id: e.id,
      leaseToken: e.leaseToken,
      attempt: 1,
      startedAt: T0,
      unlessOverlapping: false,
    }));
    expect(await store.executionsStart({ starts })).toEqual(starts.map(() => 'started'));
    const writes = await kvWrites(store);
    const key = (k: string) => `$KV.${store.prefix}_jobs.${k}`;
    const perEnd: string[][] = [];
    for (const { execution: e } of claims.sort((a, b) => a.execution.fireAt - b.execution.fireAt)) {
      const seen = writes().length;
      const finish: FinishRequest = {
        id: e.id,
        jobId: e.jobId,
        leaseToken: e.leaseToken,
        from: 'claimed',
        onFailure: null,
        status: 'succeeded',
        attempt: makeAttempt(),
        finishedAt: T0 + 1_000,
        lastOutcome: makeLastOutcome({ executionId: e.id }),
        stats: SUCCEEDED,
        retention: makeRetention({ keepLast: 0 }),
      };
      expect(await store.executionsFinish({ finishes: [finish] })).toEqual([true]);
      await new Promise((resolve) => setTimeout(resolve, 50)); // the subscriber has them all
      perEnd.push(writes().slice(seen));
      const own = [key(workKey(e)), key(keyOf(job.id))];
      expect(perEnd.at(-1)).toEqual(perEnd.length <= 8 ? own : [...own, key(workKey(e))]);
    }
    const ended = writes().length;
    await sweep(store); // the take-over passes leave debts kept in place as they are
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(writes()).toHaveLength(ended);
    for (const e of executions)
      expect(await store.executionGet({ id: e.id })).toMatchObject({ status: 'succeeded' });
    expect(
      await store.maintenance.executionsPrune({
        jobId: job.id,
        retention: makeRetention({ keepLast: 0 }),
        now: T0 + 2_000,
        limit: 100,
        expectedPruneAfter: (await store.jobGet({ id: job.id }))?.pruneAfter ?? null,
      }),
    ).toBe(10);
    for (const e of executions) expect(await store.executionGet({ id: e.id })).toBeNull();
    expect((await store.jobGet({ id: job.id }))?.stats.succeeded).toBe(10);
    expect((await readRaw<JobDocument>(store, keyOf(job.id))).applied).toEqual({});
  });

  test('an end written to its execution but not yet to its job (a crash) is counted once, by the take-over pass', async () => {
    const store = makeStore();
    await store.open();
    const job = makeJobRecord();
    await store.jobsWrite({ writes: [{ job, expectedVersion: null, dropPlanned: false }] });
    const e = makeExecutionRecord({ jobId: job.id });
    await store.executionInsert({ execution: e });
    const outcome = makeLastOutcome({ executionId: e.id });
    const ended: Work = {
      ...e,
      status: 'succeeded',
      attempt: 1,
      attempts: [makeAttempt()],
      finishedAt: T0 + 1_000,
      owed: [{ id: 'debt-1', stats: SUCCEEDED, lastOutcome: outcome }],
    };
    await putRaw(store, workKey(e), ended);
    expect(await store.executionGet({ id: e.id })).toMatchObject({ status: 'succeeded' }); // a read the mirror learns from
    await sweep(store);
    await sweep(store);
    const after = await store.jobGet({ id: job.id });
    expect(after?.stats.succeeded).toBe(1);
    expect(after?.lastOutcome).toEqual(outcome);
    expect(await store.executionGet({ id: e.id })).toMatchObject({ status: 'succeeded' });
  });

  test('an end applied to its job but not yet completed in its key (a crash) is not counted again', async () => {
    const store = makeStore();
    await store.open();
    const job = makeJobRecord({ stats: { ...makeJobRecord().stats, succeeded: 1 } });
    const e = makeExecutionRecord({ jobId: job.id });
    const ended: Work = {
      ...e,
      status: 'succeeded',
      attempt: 1,
      finishedAt: T0 + 1_000,
      owed: [{ id: 'debt-1', stats: SUCCEEDED }],
    };
    const doc: JobDocument = { job, applied: { 'debt-1': e.id }, starts: {} };
    await putRaw(store, keyOf(job.id), doc);
    await putRaw(store, workKey(e), ended);
    await store.close();
    const reopened = makeStore({ prefix: store.prefix });
    await reopened.open();
    await sweep(reopened);
    await sweep(reopened);
    expect((await reopened.jobGet({ id: job.id }))?.stats.succeeded).toBe(1);
    expect(await reopened.executionGet({ id: e.id })).toMatchObject({ status: 'succeeded' });
    const list = await reopened.executionsList({ jobId: job.id, limit: 10 });
    expect(list.map((x) => x.id)).toEqual([e.id]);
  });

  test('a plan whose fires were created but whose job was not written (a crash) is taken over by the next plan of the same tag: its missed fire counted once', async () => {
    const store = makeStore();
    await store.open();
    const job = makeJobRecord({ nextFireAt: T0 });
    await store.jobsWrite({ writes: [{ job, expectedVersion: null, dropPlanned: false }] });
    const missed: ExecutionRecord = makeExecutionRecord({
      jobId: job.id,
      fireAt: T0,
      status: 'missed',
      finishedAt: T0 + 5_000,
    });
    const tag = planTag(job.version, T0);
    const left: Work = {
      ...missed,
      plan: tag,
      owed: [
        {
          id: 'crashed-plan',
          stats: {
            ...SUCCEEDED,
            succeeded: 0,
            missed: 1,
            lastFireAt: null,
            lastSuccessAt: null,
            fresh: false,
          },
          prune: { at: T0 + 5_000, retention: makeRetention() },
        },
      ],
    };
    await putRaw(store, workKey(missed), left);
    const plan = planAtT0(job, { ...missed, id: 'another-id-of-the-same-fire' });
    expect((await store.jobsAdvance({ plans: [plan] })).applied).toEqual([job.id]);
    await sweep(store);
    await sweep(store);
    const after = await store.jobGet({ id: job.id });
    expect(after).toMatchObject({ fireCount: 1, nextFireAt: T0 + 60_000 });
    expect(after?.stats.missed).toBe(1);
    const list = await store.executionsList({ jobId: job.id, limit: 10 });
    expect(list.map((x) => x.id)).toEqual([missed.id]);
  });

  test('a checked start written to its job but not to its execution (a crash) is fenced out, and the next checked start runs', async () => {
    const store = makeStore();
    await store.open();
    const job = makeJobRecord();
    const leased = { leaseOwner: 'a', leaseUntil: T0 + 60_000, leaseToken: 1 };
    const first = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...leased });
    const second = makeExecutionRecord({ jobId: job.id, fireAt: T0 + 60_000, ...leased });
    await store.jobsWrite({ writes: [{ job, expectedVersion: null, dropPlanned: false }] });
    await store.executionsInsert({ executions: [first, second] });
    const nc = await connect({ servers: NATS_URL });
    connections.push(nc);
    const kv = await new Kvm(nc).open(`${store.prefix}_jobs`);
    const revision = (await kv.get(workKey(first)))?.revision ?? 0;
    const doc = (await kv.get(keyOf(job.id)))?.json<JobDocument>();
    if (!doc) throw new Error('no document');
    doc.starts[first.id] = { fireAt: T0, revision };
    await kv.put(keyOf(job.id), encode(doc));
    const start = (e: ExecutionRecord) => ({
      id: e.id,
      leaseToken: 1,
      attempt: 1,
      startedAt: T0,
      unlessOverlapping: true,
    });
    expect(await store.executionsStart({ starts: [start(second)] })).toEqual(['started']);
    expect((await kv.get(workKey(first)))?.revision).toBeGreaterThan(revision);
    // The first, started now, is not blocked by a later one; the second's next attempt is.
    expect(await store.executionsStart({ starts: [start(first)] })).toEqual(['started']);
  });

  test('checked starts of one job raced by two instances: a start is written only when no earlier execution had started before it', async () => {
    const store = makeStore();
    const other = makeStore({ prefix: store.prefix });
    await Promise.all([store.open(), other.open()]);
    const nc = await connect({ servers: NATS_URL });
    connections.push(nc);
    const kv = await new Kvm(nc).open(`${store.prefix}_jobs`);
    const leased = { leaseOwner: 'a', leaseUntil: T0 + 600_000, leaseToken: 1 };
    let started = 0;
    for (let round = 0; round < 5; round++) {
      const job = makeJobRecord();
      await store.jobsWrite({ writes: [{ job, expectedVersion: null, dropPlanned: false }] });
      const fires = Array.from({ length: 8 }, (_, i) =>
        makeExecutionRecord({ jobId: job.id, fireAt: T0 + i * 60_000, ...leased }),
      );
      await store.executionsInsert({ executions: fires });
      for (const e of fires) await other.executionGet({ id: e.id }); // both mirrors know them
      const results = await Promise.all(
        fires.map(async (e, i) => {
          const [result] = await (i % 2 === 0 ? store : other).executionsStart({
            starts: [
              { id: e.id, leaseToken: 1, attempt: 1, startedAt: T0, unlessOverlapping: true },
            ],
          });
          return result;
        }),
      );
      const revisions = await Promise.all(
        fires.map(async (e) => (await kv.get(workKey(e)))?.revision ?? 0),
      );
      // Of two started, the later fire's start was written first (it saw no earlier one running).
      const ran = fires.map((_, i) => i).filter((i) => results[i] === 'started');
      for (const a of ran)
        for (const b of ran)
          if (a < b)
            expect(revisions[b], JSON.stringify({ results, revisions })).toBeLessThan(
              revisions[a] ?? 0,
            );
      started += ran.length;
    }
    expect(started).toBeGreaterThanOrEqual(5);
  });

  test('a backfill of a forbid job runs its fires one after another: a batch of ends is seen at once, starts go in the order they came', async () => {
    const store = makeStore();
    const s = createScheduler({ store, logger: silent });
    schedulers.push(s);
    let running = 0;
    let most = 0;
    s.setHandler(async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 300));
      running -= 1;
    });
    await s.start();
    await s.ensureJob({ id: 'serial', schedule: cron('30 2 * * *'), overlap: 'forbid' });
    const { fires } = await s.backfillJob('serial', {
      from: '2026-03-27T00:00:00Z',
      to: '2026-03-31T00:00:00Z',
    });
    expect(fires).toHaveLength(4);
    await until(
      async () =>
        (await s.listExecutions({ jobId: 'serial', status: 'succeeded' })).items.length === 4,
      20_000,
      'four run',
    );
    expect(most).toBe(1);
  });

  test.each([
    [1, 'a job and its executions in one document'],
    [2, 'finished executions in a history bucket'],
  ])('a store of schema version %i (%s) is refused with a clear error', async (version) => {
    const store = makeStore();
    await store.open();
    const nc = await connect({ servers: NATS_URL });
    connections.push(nc);
    await (await new Kvm(nc).open(`${store.prefix}_meta`)).put('schema', String(version));
    const old = makeStore({ prefix: store.prefix });
    await expect(old.open()).rejects.toMatchObject({
      code: 'CHIME_ERR_STORE_SCHEMA_OUTDATED',
      message: expect.stringMatching(new RegExp(`schema version ${version} .*new prefix`)),
    });
  });
});
