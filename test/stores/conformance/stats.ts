import { describe, expect, test } from 'vitest';
import { PRUNE_DELAY_MS } from '../../../src/stores/rules.js';
import type { JobRecord } from '../../../src/stores/store.js';
import {
  T0,
  makeAttempt,
  makeExecutionRecord,
  makeLastOutcome,
  makeRetention,
  makeStats,
  marked,
} from '../records.js';
import {
  MIN,
  HOUR,
  type Fixture,
  addJob,
  addExecution,
  mustGet,
  mustGetJob,
  leased,
  runningBy,
  plan,
  claim,
  start,
  finish,
  agedOut,
  ended,
} from './fixture.js';
import { updateJob } from '../../helpers/jobs.js';

// ------------------------------------------------------------- statistics

export function statsTests(fx: Fixture): void {
  describe('job statistics', () => {
    test('a success counts, records its time and fire, and clears staleSince', async () => {
      const job = await addJob(fx.store, { staleAfterMs: HOUR, staleSince: T0 - 5 });
      await ended(fx.store, job, T0, { finishedAt: T0 + 1_000 });
      expect(await mustGetJob(fx.store, job.id)).toMatchObject({
        stats: makeStats({ succeeded: 1, lastSuccessAt: T0 + 1_000, lastFireAt: T0 }),
        staleSince: null,
        staleAfterMs: HOUR,
      });
    });

    test('a failure for good counts and records its time; its onFailure delivery counts nothing more', async () => {
      const { store } = fx;
      const job = await addJob(store, { staleAfterMs: HOUR, staleSince: T0 - 5 });
      const failed = { status: 'failed' as const, error: { message: 'boom' } };
      await ended(store, job, T0, { ...failed, finishedAt: T0 + 1_000 });
      const e = await ended(store, job, T0 + MIN, {
        ...failed,
        onFailure: 'pending',
        keepLeaseUntil: T0 + 2 * MIN,
        finishedAt: T0 + MIN + 500,
      });
      const stats = makeStats({ failed: 2, lastFailureAt: T0 + MIN + 500, lastFireAt: T0 + MIN });
      expect(await mustGetJob(store, job.id)).toMatchObject({ stats, staleSince: T0 - 5 });

      const delivery = finish(e, {
        from: 'pending-delivery',
        status: 'failed',
        attempt: undefined,
        onFailure: 'delivered',
        finishedAt: T0 + 2 * MIN,
      });
      expect(await store.executionsFinish({ finishes: [delivery] })).toEqual([true]);
      expect((await mustGetJob(store, job.id)).stats).toEqual(stats);
    });

    test('retries, hand-backs and refused ends change nothing on the job', async () => {
      const { store } = fx;
      const job = await addJob(store, { staleAfterMs: HOUR, staleSince: T0 - 5 });
      const a = await addExecution(store, { jobId: job.id, fireAt: T0, ...runningBy('me', 1) });
      const b = await addExecution(store, { jobId: job.id, fireAt: T0 + 1, ...runningBy('me', 1) });
      const c = await addExecution(store, { jobId: job.id, fireAt: T0 + 2, ...runningBy('me', 1) });
      const results = await store.executionsFinish({
        finishes: [
          finish(a, {
            status: 'scheduled',
            runAt: T0 + 5_000,
            attempt: makeAttempt({ outcome: 'failed', error: { message: 'flaky' } }),
            finishedAt: null,
          }),
          finish(b, {
            status: 'scheduled',
            runAt: T0 + 1_000,
            attempt: makeAttempt({ outcome: 'shutdown' }),
            finishedAt: null,
          }),
          finish({ id: c.id, jobId: c.jobId, leaseToken: 9 }, { lastOutcome: makeLastOutcome() }),
          finish({ id: 'vanished', jobId: c.jobId, leaseToken: 1 }),
        ],
      });
      expect(results).toEqual([true, true, false, false]);
      expect(await mustGetJob(store, job.id)).toEqual(job);
    });

    test('lastFireAt is the latest fire that ended, whatever the order of the ends', async () => {
      const job = await addJob(fx.store);
      await ended(fx.store, job, T0 + MIN, { finishedAt: T0 + MIN + 100 });
      await ended(fx.store, job, T0, {
        status: 'failed',
        error: { message: 'late' },
        finishedAt: T0 + MIN + 200,
      });
      expect((await mustGetJob(fx.store, job.id)).stats).toEqual(
        makeStats({
          succeeded: 1,
          failed: 1,
          lastSuccessAt: T0 + MIN + 100,
          lastFailureAt: T0 + MIN + 200,
          lastFireAt: T0 + MIN,
        }),
      );
    });

    test('every accepted end of a batch counts, also several of one job', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const other = await addJob(store);
      const es = [
        await addExecution(store, { jobId: job.id, fireAt: T0, ...runningBy('me', 1) }),
        await addExecution(store, { jobId: job.id, fireAt: T0 + 1, ...runningBy('me', 1) }),
        await addExecution(store, { jobId: other.id, fireAt: T0 + 2, ...runningBy('me', 1) }),
        await addExecution(store, { jobId: job.id, fireAt: T0 + 3, ...runningBy('me', 1) }),
      ];
      const [a, b, c, d] = es;
      if (!a || !b || !c || !d) throw new Error('unreachable');
      const results = await store.executionsFinish({
        finishes: [
          finish(a, { finishedAt: T0 + 100 }),
          finish(b, { status: 'failed', error: { message: 'x' }, finishedAt: T0 + 200 }),
          finish(c, { finishedAt: T0 + 300 }),
          finish({ id: d.id, jobId: d.jobId, leaseToken: 9 }),
          finish(d, { finishedAt: T0 + 400 }),
        ],
      });
      expect(results).toEqual([true, true, true, false, true]);
      expect((await mustGetJob(store, job.id)).stats).toEqual(
        makeStats({
          succeeded: 2,
          failed: 1,
          lastSuccessAt: T0 + 400,
          lastFailureAt: T0 + 200,
          lastFireAt: T0 + 3,
        }),
      );
      expect((await mustGetJob(store, other.id)).stats).toEqual(
        makeStats({ succeeded: 1, lastSuccessAt: T0 + 300, lastFireAt: T0 + 2 }),
      );
    });

    test('an end of a fire that did not run (missed, skipped) counts it; a start counts nothing', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const late = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 - MIN,
        ...leased('me', 1),
      });
      const overlapping = await addExecution(store, {
        jobId: job.id,
        fireAt: T0,
        ...leased('me', 1),
      });
      const fine = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 + MIN,
        trigger: 'manual',
        ...leased('me', 1),
      });
      const unrun = { from: 'claimed' as const, attempt: undefined };
      const ended = await store.executionsFinish({
        finishes: [
          finish(late, { ...unrun, status: 'missed', finishedAt: T0 + 5 }),
          finish(overlapping, { ...unrun, status: 'skipped', finishedAt: T0 + 6 }),
        ],
      });
      expect(ended).toEqual([true, true]);
      const started = await store.executionsStart({
        starts: [start(fine, { startedAt: T0 + 7 }), start({ id: fine.id, leaseToken: 7 })],
      });
      expect(started).toEqual(['started', 'rejected']);
      expect(await mustGetJob(store, job.id)).toEqual({
        ...job,
        stats: makeStats({ missed: 1, skipped: 1 }),
        pruneAfter: agedOut(T0 + 5),
      });
      for (const [e, status] of [
        [late, 'missed'],
        [overlapping, 'skipped'],
      ] as const) {
        expect(await mustGet(store, e.id)).toMatchObject({
          status,
          attempt: 0,
          attempts: [],
          leaseOwner: null,
          leaseUntil: null,
        });
      }
    });

    test('adds the delta an end names, as given: counts added, last instants only raised, staleness ended when fresh', async () => {
      const { store } = fx;
      const job = await addJob(store, {
        staleAfterMs: HOUR,
        staleSince: T0 - 5,
        stats: makeStats({ succeeded: 4, lastSuccessAt: T0 + 500, lastFireAt: T0 + 9 }),
      });
      const a = await addExecution(store, { jobId: job.id, fireAt: T0, ...runningBy('me', 1) });
      const b = await addExecution(store, { jobId: job.id, fireAt: T0 + 1, ...runningBy('me', 1) });
      const delta = {
        succeeded: 2,
        failed: 1,
        missed: 3,
        skipped: 4,
        lastFireAt: T0 + 1,
        lastSuccessAt: T0 + 100,
        lastFailureAt: T0 + 200,
        fresh: false,
      };
      expect(await store.executionsFinish({ finishes: [finish(a, { stats: delta })] })).toEqual([
        true,
      ]);
      expect(await mustGetJob(store, job.id)).toMatchObject({
        stats: makeStats({
          succeeded: 6,
          failed: 1,
          missed: 3,
          skipped: 4,
          lastSuccessAt: T0 + 500,
          lastFailureAt: T0 + 200,
          lastFireAt: T0 + 9,
        }),
        staleSince: T0 - 5,
      });
      const fresh = { ...delta, succeeded: 0, failed: 0, missed: 0, skipped: 0, fresh: true };
      await store.executionsFinish({ finishes: [finish(b, { stats: fresh })] });
      expect((await mustGetJob(store, job.id)).staleSince).toBeNull();
    });

    test('missed fires a plan inserts count as missed; fires it does not insert do not', async () => {
      const { store } = fx;
      const job = await addJob(store, { nextFireAt: T0 - 3 * MIN });
      const taken = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 - 3 * MIN,
        status: 'missed',
        finishedAt: T0 - MIN,
      });
      const missed = (fireAt: number) =>
        makeExecutionRecord({ jobId: job.id, fireAt, status: 'missed', finishedAt: T0 });
      const executions = [
        { ...missed(T0 - 3 * MIN), id: `${taken.id}-again` },
        missed(T0 - 2 * MIN),
        missed(T0 - MIN),
        makeExecutionRecord({ jobId: job.id, fireAt: T0 }),
      ];
      const stale = plan(job, { expectedVersion: 0, executions: [missed(T0 - 4 * MIN)] });
      await store.jobsAdvance({ plans: [stale] });
      expect((await mustGetJob(store, job.id)).stats).toEqual(makeStats());

      const { applied } = await store.jobsAdvance({
        plans: [plan(job, { nextFireAt: T0 + MIN, executions })],
      });
      expect(applied).toEqual([job.id]);
      expect(await mustGetJob(store, job.id)).toEqual({
        ...job,
        nextFireAt: T0 + MIN,
        stats: makeStats({ missed: 2 }),
        pruneAfter: agedOut(T0),
      });
    });

    test("skipped fires a plan inserts (a pause's record) count as skipped, beside the missed ones", async () => {
      const { store } = fx;
      const job = await addJob(store, { nextFireAt: T0 + MIN });
      const unrun = (fireAt: number, status: 'missed' | 'skipped') =>
        makeExecutionRecord({ jobId: job.id, fireAt, status, finishedAt: T0 });
      const executions = [
        unrun(T0 - 3 * MIN, 'skipped'),
        unrun(T0 - 2 * MIN, 'skipped'),
        unrun(T0 - MIN, 'missed'),
      ];
      const { applied } = await store.jobsAdvance({
        plans: [plan(job, { nextFireAt: T0 + MIN, executions })],
      });
      expect(applied).toEqual([job.id]);
      expect((await mustGetJob(store, job.id)).stats).toEqual(makeStats({ skipped: 2, missed: 1 }));
    });

    test('jobUpdate keeps the statistics, staleSince and pruneAfter the store keeps', async () => {
      const { store } = fx;
      const job = await addJob(store, { staleAfterMs: HOUR, staleSince: T0 - 5 });
      const read = await mustGetJob(store, job.id);
      // A finish lands between the caller's read and its update.
      await ended(store, job, T0, { finishedAt: T0 + 1_000 });
      const kept = await mustGetJob(store, job.id);
      const next: JobRecord = {
        ...read,
        definition: marked(read, '2'),
        version: 2,
        updatedAt: T0 + 2_000,
        staleAfterMs: 2 * HOUR,
        stats: makeStats({ succeeded: 99, lastSuccessAt: T0 - HOUR }),
        staleSince: T0 + 3,
        pruneAfter: T0 + 4,
      };
      expect(await updateJob(store, { job: next, expectedVersion: 1, dropPlanned: true })).toBe(
        true,
      );
      expect(await mustGetJob(store, job.id)).toEqual({
        ...next,
        stats: makeStats({ succeeded: 1, lastSuccessAt: T0 + 1_000, lastFireAt: T0 }),
        staleSince: null,
        pruneAfter: kept.pruneAfter,
      });
    });

    test('jobUpdate keeps the count of kept executions', async () => {
      const { store } = fx;
      const retention = makeRetention({ keepLast: 1, maxAgeMs: HOUR });
      const job = await addJob(store);
      await ended(store, job, T0, { finishedAt: T0 + 1_000, retention });
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(agedOut(T0 + 1_000, retention));
      const read = await mustGetJob(store, job.id);
      const next = { ...read, version: 2, definition: marked(read, '2') };
      expect(await updateJob(store, { job: next, expectedVersion: 1, dropPlanned: true })).toBe(
        true,
      );
      // The second kept execution is one more than keepLast: the pruner comes soon.
      await ended(store, job, T0 + MIN, { finishedAt: T0 + 2_000, retention });
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(T0 + 2_000 + PRUNE_DELAY_MS);
    });

    test('claims carry the job with its statistics', async () => {
      const { store } = fx;
      const job = await addJob(store);
      await ended(store, job, T0 - MIN, { finishedAt: T0 - 1_000 });
      await addExecution(store, { jobId: job.id, fireAt: T0 });
      const [c] = await claim(store, 'you');
      expect(c?.job).toEqual(await mustGetJob(store, job.id));
      expect(c?.job.stats.succeeded).toBe(1);
    });
  });
}
