import { describe, expect, test } from 'vitest';
import { T0, makeExecutionRecord, makeLastOutcome, makeStats } from '../records.js';
import {
  MIN,
  LEASE,
  type Fixture,
  addJob,
  addExecution,
  mustGetJob,
  leased,
  plan,
  agedOut,
  ids,
  claimedIds,
  sorted,
} from './fixture.js';
import { updateJob } from '../../helpers/jobs.js';

// ------------------------------------------------------------- planning

export function advanceTests(fx: Fixture): void {
  describe('jobsAdvance', () => {
    test('moves nextFireAt, inserts the fires and returns the leased ones as claims', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const free = makeExecutionRecord({ jobId: job.id, fireAt: T0 });
      const held = makeExecutionRecord({
        jobId: job.id,
        fireAt: T0 + MIN,
        ...leased('me', 1, T0 + MIN + LEASE),
      });
      const result = await store.jobsAdvance({
        plans: [plan(job, { nextFireAt: T0 + 2 * MIN, executions: [free, held] })],
      });
      const advanced = { ...job, nextFireAt: T0 + 2 * MIN };
      expect(result).toEqual({ claims: [{ execution: held, job: advanced }], applied: [job.id] });
      expect(await store.jobGet({ id: job.id })).toEqual(advanced);
      expect(await store.executionGet({ id: free.id })).toEqual(free);
      expect(await store.executionGet({ id: held.id })).toEqual(held);
    });

    test('a plan whose version is stale inserts nothing and does not move nextFireAt', async () => {
      const job = await addJob(fx.store, { version: 3 });
      const e = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...leased('me', 1) });
      const result = await fx.store.jobsAdvance({
        plans: [plan(job, { expectedVersion: 2, executions: [e] })],
      });
      expect(result).toEqual({ claims: [], applied: [] });
      expect(await fx.store.jobGet({ id: job.id })).toEqual(job);
      expect(await fx.store.executionGet({ id: e.id })).toBeNull();
    });

    test('a plan whose nextFireAt is stale inserts nothing and does not move nextFireAt', async () => {
      const job = await addJob(fx.store, { nextFireAt: T0 + MIN });
      const e = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...leased('me', 1) });
      const stale = plan(job, { expectedNextFireAt: T0, nextFireAt: T0 + MIN, executions: [e] });
      expect(await fx.store.jobsAdvance({ plans: [stale] })).toEqual({ claims: [], applied: [] });
      expect(await fx.store.jobGet({ id: job.id })).toEqual(job);
      expect(await fx.store.executionGet({ id: e.id })).toBeNull();
    });

    test('the same plan applied twice takes effect once', async () => {
      const job = await addJob(fx.store);
      const e = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...leased('me', 1) });
      const once = plan(job, { executions: [e] });
      expect((await fx.store.jobsAdvance({ plans: [once] })).claims).toHaveLength(1);
      expect(await fx.store.jobsAdvance({ plans: [once] })).toEqual({ claims: [], applied: [] });
      expect(await fx.store.executionsList({ jobId: job.id, limit: 10 })).toEqual([e]);
    });

    test('each plan of a batch stands alone; unknown jobs are skipped', async () => {
      const { store } = fx;
      const a = await addJob(store);
      const b = await addJob(store);
      const c = await addJob(store);
      const ea = makeExecutionRecord({ jobId: a.id, ...leased('me', 1) });
      const eb = makeExecutionRecord({ jobId: b.id, ...leased('me', 1) });
      const ec = makeExecutionRecord({ jobId: c.id, ...leased('me', 1) });
      const ghost = makeExecutionRecord({ jobId: 'ghost', ...leased('me', 1) });
      const { claims, applied } = await store.jobsAdvance({
        plans: [
          plan(a, { executions: [ea] }),
          plan(b, { expectedVersion: 0, executions: [eb] }),
          { ...plan(a, { executions: [ghost] }), jobId: 'ghost' },
          plan(c, { executions: [ec] }),
        ],
      });
      expect(sorted(claimedIds(claims))).toEqual(sorted([ea.id, ec.id]));
      expect(applied).toEqual([a.id, c.id]);
      expect((await mustGetJob(store, b.id)).nextFireAt).toBe(T0);
      expect(await store.executionGet({ id: eb.id })).toBeNull();
      expect(await store.executionGet({ id: ghost.id })).toBeNull();
      expect(await store.jobGet({ id: 'ghost' })).toBeNull();
    });

    test('applies completedAt and lastOutcome; null leaves them as they were', async () => {
      const before = makeLastOutcome({ status: 'succeeded' });
      const job = await addJob(fx.store, { lastOutcome: before });
      await fx.store.jobsAdvance({ plans: [plan(job)] });
      expect(await fx.store.jobGet({ id: job.id })).toEqual({ ...job, nextFireAt: T0 + MIN });

      const missed = makeExecutionRecord({
        jobId: job.id,
        fireAt: T0 + MIN,
        status: 'missed',
        finishedAt: T0 + MIN,
      });
      const outcome = makeLastOutcome({ status: 'missed', executionId: missed.id });
      const last = plan(
        { ...job, nextFireAt: T0 + MIN },
        { nextFireAt: null, completedAt: T0 + 2 * MIN, lastOutcome: outcome, executions: [missed] },
      );
      expect(await fx.store.jobsAdvance({ plans: [last] })).toEqual({
        claims: [],
        applied: [job.id],
      });
      expect(await fx.store.jobGet({ id: job.id })).toEqual({
        ...job,
        nextFireAt: null,
        completedAt: T0 + 2 * MIN,
        lastOutcome: outcome,
        stats: makeStats({ missed: 1 }),
        pruneAfter: agedOut(T0 + MIN),
      });
      expect(await fx.store.executionGet({ id: missed.id })).toEqual(missed);
    });

    test('one execution per (jobId, fireAt) of a schedule', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const first = makeExecutionRecord({ jobId: job.id, fireAt: T0 });
      await store.jobsAdvance({ plans: [plan(job, { executions: [first] })] });

      // Another instance re-plans the same fire (the job was moved back in between).
      const moved = { ...job, version: 2 };
      await updateJob(store, { job: moved, expectedVersion: 1, dropPlanned: false });
      const dup = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...leased('b', 1) });
      // The plan applies (its compare-and-set holds) but the fire is not inserted again.
      const replanned = await store.jobsAdvance({ plans: [plan(moved, { executions: [dup] })] });
      expect(replanned).toEqual({ claims: [], applied: [job.id] });
      expect((await mustGetJob(store, job.id)).nextFireAt).toBe(T0 + MIN);
      expect(await store.executionGet({ id: dup.id })).toBeNull();

      // A direct insert of the same fire does not add a row either.
      const direct = await addExecution(store, { jobId: job.id, fireAt: T0 });
      expect(await store.executionGet({ id: direct.id })).toBeNull();
      expect(ids(await store.executionsList({ jobId: job.id, limit: 10 }))).toEqual([first.id]);

      // Manual triggers at the same instant are their own executions; so is another job's fire.
      const manual1 = await addExecution(store, { jobId: job.id, fireAt: T0, trigger: 'manual' });
      const manual2 = await addExecution(store, { jobId: job.id, fireAt: T0, trigger: 'manual' });
      const other = await addJob(store);
      const theirs = await addExecution(store, { jobId: other.id, fireAt: T0 });
      const all = await store.executionsList({ limit: 10 });
      expect(sorted(ids(all))).toEqual(sorted([first.id, manual1.id, manual2.id, theirs.id]));
    });

    test('a fire at the instant of a manual trigger is still inserted', async () => {
      const job = await addJob(fx.store);
      const manual = await addExecution(fx.store, { jobId: job.id, fireAt: T0, trigger: 'manual' });
      const fire = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...leased('me', 1) });
      const { claims } = await fx.store.jobsAdvance({ plans: [plan(job, { executions: [fire] })] });
      expect(claimedIds(claims)).toEqual([fire.id]);
      expect(sorted(ids(await fx.store.executionsList({ limit: 10 })))).toEqual(
        sorted([manual.id, fire.id]),
      );
    });

    test('a fire named twice in one plan is inserted once', async () => {
      const job = await addJob(fx.store);
      const a = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...leased('me', 1) });
      const b = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...leased('me', 1) });
      const { claims } = await fx.store.jobsAdvance({ plans: [plan(job, { executions: [a, b] })] });
      expect(claimedIds(claims)).toEqual([a.id]);
      expect(ids(await fx.store.executionsList({ jobId: job.id, limit: 10 }))).toEqual([a.id]);
    });
  });
}
