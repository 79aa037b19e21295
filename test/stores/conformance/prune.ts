import { describe, expect, test } from 'vitest';
import { PRUNE_DELAY_MS } from '../../../src/stores/rules.js';
import type {
  ExecutionRecord,
  FinishRequest,
  Retention,
  Store,
} from '../../../src/stores/store.js';
import { T0, makeRetention, makeStats } from '../records.js';
import {
  MIN,
  HOUR,
  RETENTION,
  type Fixture,
  addJob,
  addExecution,
  mustGetJob,
  leased,
  runningBy,
  start,
  agedOut,
  ids,
  sorted,
  ended,
} from './fixture.js';
import { maintenanceOf } from '../../helpers/jobs.js';

// ---------------------------------------------------------------- pruning

export function pruneTests(fx: Fixture): void {
  describe('executionsPrune', () => {
    /** Prunes `job` as the pruner does: naming the pruneAfter it read. */
    async function prune(
      store: Store,
      jobId: string,
      params: { retention: Retention; now: number; limit?: number },
    ): Promise<number> {
      const job = await mustGetJob(store, jobId);
      return maintenanceOf(store).executionsPrune({
        jobId,
        retention: params.retention,
        now: params.now,
        limit: params.limit ?? 100,
        expectedPruneAfter: job.pruneAfter,
      });
    }

    async function left(jobId: string): Promise<string[]> {
      return sorted(ids(await fx.store.executionsList({ jobId, limit: 1_000 })));
    }

    test('deletes the prunable executions beyond the keepLast newest, and only those', async () => {
      const { store } = fx;
      const retention = makeRetention({ keepLast: 3, maxAgeMs: 24 * HOUR });
      const job = await addJob(store);
      const other = await addJob(store);
      const finished: ExecutionRecord[] = [];
      const statuses = ['succeeded', 'failed', 'cancelled', 'succeeded', 'succeeded', 'failed'];
      for (const [i, status] of statuses.entries()) {
        finished.push(
          await ended(store, job, T0 + i * MIN, {
            status: status as FinishRequest['status'],
            finishedAt: T0 + i * MIN + 500,
            retention,
          }),
        );
      }
      // Work that is never pruned, older than everything finished.
      const untouchable = [
        await addExecution(store, { jobId: job.id, fireAt: T0 - 6 * MIN }),
        await addExecution(store, { jobId: job.id, fireAt: T0 - 5 * MIN, ...runningBy('x', 1) }),
        await addExecution(store, {
          jobId: job.id,
          fireAt: T0 - 4 * MIN,
          attempt: 1,
          runAt: T0 + HOUR,
        }),
        await addExecution(store, {
          jobId: job.id,
          fireAt: T0 - 3 * MIN,
          status: 'failed',
          attempt: 1,
          onFailure: 'pending',
          finishedAt: T0 - 3 * MIN,
        }),
        await addExecution(store, {
          jobId: job.id,
          fireAt: T0 - 2 * MIN,
          status: 'running',
          attempt: 1,
          finishedAt: T0 - 2 * MIN,
        }),
      ];
      const theirs = await ended(store, other, T0 - HOUR, { finishedAt: T0 - HOUR, retention });
      const before = await mustGetJob(store, job.id);
      expect(before.pruneAfter).toBe(T0 + 3 * MIN + 500 + PRUNE_DELAY_MS);

      const now = T0 + 10 * MIN;
      expect(await prune(store, job.id, { retention, now })).toBe(3);
      const newest = finished.slice(3);
      expect(await left(job.id)).toEqual(sorted(ids([...newest, ...untouchable])));
      expect(await store.executionGet({ id: theirs.id })).toEqual(theirs);
      const after = await mustGetJob(store, job.id);
      expect(after).toEqual({ ...before, pruneAfter: agedOut(T0 + 3 * MIN + 500, retention) });
      expect(after.stats).toEqual(
        makeStats({
          succeeded: 3,
          failed: 2,
          lastSuccessAt: T0 + 4 * MIN + 500,
          lastFailureAt: T0 + 5 * MIN + 500,
          lastFireAt: T0 + 5 * MIN,
        }),
      );
      // Nothing more to do: a second pass deletes nothing and plans the same look.
      expect(await prune(store, job.id, { retention, now })).toBe(0);
      expect(await mustGetJob(store, job.id)).toEqual(after);
    });

    test('deletes prunable executions finished before now - maxAge, within keepLast too', async () => {
      const { store } = fx;
      const retention = makeRetention({ keepLast: 100, maxAgeMs: HOUR });
      const job = await addJob(store);
      // Finish times out of fire order: age is judged by finishedAt.
      const a = await ended(store, job, T0, { finishedAt: T0 + 5_000, retention });
      const b = await ended(store, job, T0 + MIN, { finishedAt: T0 + 1_000, retention });
      const c = await ended(store, job, T0 + 2 * MIN, { finishedAt: T0 + 2_000, retention });
      const d = await ended(store, job, T0 + 3 * MIN, { finishedAt: T0 + HOUR, retention });
      const skipped = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 + 4 * MIN,
        ...leased('me', 1),
      });
      expect(
        await store.executionsStart({
          starts: [start(skipped, { unlessOverlapping: true, startedAt: T0 + 500 })],
        }),
      ).toEqual(['started']);

      // now - maxAge = T0 + 2_000: finished strictly before it goes.
      const now = T0 + HOUR + 2_000;
      expect(await prune(store, job.id, { retention, now })).toBe(1);
      expect(await left(job.id)).toEqual(sorted(ids([a, c, d, skipped])));
      expect(await store.executionGet({ id: b.id })).toBeNull();
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(agedOut(T0 + 2_000, retention));

      expect(await prune(store, job.id, { retention, now: now + 3_001 })).toBe(2);
      expect(await left(job.id)).toEqual(sorted(ids([d, skipped])));
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(agedOut(T0 + HOUR, retention));
    });

    test('the kept count follows pruning', async () => {
      const { store } = fx;
      const retention = makeRetention({ keepLast: 2, maxAgeMs: HOUR });
      const job = await addJob(store);
      for (let i = 0; i < 4; i++)
        await ended(store, job, T0 + i * MIN, { finishedAt: T0 + i, retention });
      // All four aged out: none kept.
      expect(await prune(store, job.id, { retention, now: T0 + 2 * HOUR })).toBe(4);
      expect((await mustGetJob(store, job.id)).pruneAfter).toBeNull();
      // So two new ones are within keepLast: looked at when the first ages out.
      await ended(store, job, T0 + 10 * MIN, { finishedAt: T0 + 3 * HOUR, retention });
      await ended(store, job, T0 + 11 * MIN, { finishedAt: T0 + 3 * HOUR + 1, retention });
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(agedOut(T0 + 3 * HOUR, retention));
    });

    test('deletes at most limit, oldest fire first; a full batch asks for another pass at once', async () => {
      const { store } = fx;
      const retention = makeRetention({ keepLast: 0, maxAgeMs: 24 * HOUR });
      const job = await addJob(store);
      const fireAts = [T0 + 3 * MIN, T0, T0 + 4 * MIN, T0 + MIN, T0 + 2 * MIN];
      const byFire = new Map<number, string>();
      for (const fireAt of fireAts)
        byFire.set(fireAt, (await ended(store, job, fireAt, { retention })).id);
      const now = T0 + HOUR;

      expect(await prune(store, job.id, { retention, now, limit: 2 })).toBe(2);
      expect(await store.executionGet({ id: byFire.get(T0) ?? '' })).toBeNull();
      expect(await store.executionGet({ id: byFire.get(T0 + MIN) ?? '' })).toBeNull();
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(now);

      expect(await prune(store, job.id, { retention, now, limit: 2 })).toBe(2);
      expect(await left(job.id)).toEqual([byFire.get(T0 + 4 * MIN)]);
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(now);

      expect(await prune(store, job.id, { retention, now, limit: 2 })).toBe(1);
      expect(await left(job.id)).toEqual([]);
      expect((await mustGetJob(store, job.id)).pruneAfter).toBeNull();
      expect(await prune(store, job.id, { retention, now, limit: 2 })).toBe(0);
    });

    test('leaves pruneAfter alone when it is no longer the one expected, but still deletes', async () => {
      const { store } = fx;
      const retention = makeRetention({ keepLast: 1, maxAgeMs: HOUR });
      const job = await addJob(store);
      const old = await ended(store, job, T0, { retention });
      const recent = await ended(store, job, T0 + MIN, { retention });
      const planned = (await mustGetJob(store, job.id)).pruneAfter;
      expect(planned).toBe(T0 + 1_000 + PRUNE_DELAY_MS);
      const deleted = await maintenanceOf(store).executionsPrune({
        jobId: job.id,
        retention,
        now: T0 + MIN,
        limit: 100,
        expectedPruneAfter: T0 - 1,
      });
      expect(deleted).toBe(1);
      expect(await store.executionGet({ id: old.id })).toBeNull();
      expect(await left(job.id)).toEqual([recent.id]);
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(planned);
    });

    test('an unknown job prunes nothing', async () => {
      expect(
        await maintenanceOf(fx.store).executionsPrune({
          jobId: 'nope',
          retention: RETENTION,
          now: T0,
          limit: 10,
          expectedPruneAfter: null,
        }),
      ).toBe(0);
    });

    test('a finished execution inserted as such counts among the kept ones', async () => {
      const { store } = fx;
      const retention = makeRetention({ keepLast: 1, maxAgeMs: HOUR });
      const job = await addJob(store);
      const inserted = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 - MIN,
        status: 'succeeded',
        attempt: 1,
        finishedAt: T0,
      });
      expect((await mustGetJob(store, job.id)).pruneAfter).toBeNull();
      await ended(store, job, T0, { finishedAt: T0 + 1_000, retention });
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(T0 + 1_000 + PRUNE_DELAY_MS);
      expect(await prune(store, job.id, { retention, now: T0 + MIN })).toBe(1);
      expect(await store.executionGet({ id: inserted.id })).toBeNull();
    });

    test('two instances pruning one job at once delete each execution once', async () => {
      const { store } = fx;
      const { reopen } = fx.harness;
      const second = reopen ? await reopen() : store;
      if (second !== store) await second.open();
      try {
        const retention = makeRetention({ keepLast: 0, maxAgeMs: HOUR });
        const job = await addJob(store);
        const count = 40;
        for (let i = 0; i < count; i++) await ended(store, job, T0 + i, { retention });
        const pruneAll = async (instance: Store) => {
          let total = 0;
          // Bounded: a store that deletes nothing while rows are left must fail, not spin.
          for (let round = 0; round <= count; round++) {
            const n = await prune(instance, job.id, { retention, now: T0 + MIN, limit: 3 });
            if (n === 0) return total;
            total += n;
          }
          throw new Error('pruning never ran dry');
        };
        const totals = await Promise.all([pruneAll(store), pruneAll(second), pruneAll(store)]);
        expect(totals.reduce((a, b) => a + b, 0)).toBe(count);
        expect(await left(job.id)).toEqual([]);
        expect(await prune(store, job.id, { retention, now: T0 + MIN })).toBe(0);
        expect(await mustGetJob(store, job.id)).toMatchObject({
          pruneAfter: null,
          stats: { succeeded: count },
        });
        // Nothing is kept any more: one new execution is one over keepLast 0.
        await ended(store, job, T0 + HOUR, { finishedAt: T0 + HOUR, retention });
        expect((await mustGetJob(store, job.id)).pruneAfter).toBe(T0 + HOUR + PRUNE_DELAY_MS);
      } finally {
        if (second !== store) await second.close();
      }
    });
  });
}
