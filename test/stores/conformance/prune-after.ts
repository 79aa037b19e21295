import { describe, expect, test } from 'vitest';
import { PRUNE_DELAY_MS } from '../../../src/stores/rules.js';
import { T0, makeRetention } from '../records.js';
import {
  MIN,
  HOUR,
  type Fixture,
  addJob,
  mustGetJob,
  finish,
  agedOut,
  ended,
  ids,
} from './fixture.js';
import { maintenanceOf } from '../../helpers/jobs.js';

// ------------------------------------------------------- pruneAfter, jobsToPrune

export function pruneAfterTests(fx: Fixture): void {
  describe('pruneAfter', () => {
    const retention = makeRetention({ keepLast: 2, maxAgeMs: HOUR });

    test('until the job keeps more than keepLast: when its oldest ages out; then soon', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const pruneAfter = async () => (await mustGetJob(store, job.id)).pruneAfter;
      await ended(store, job, T0, { finishedAt: T0 + 2_000, retention });
      expect(await pruneAfter()).toBe(agedOut(T0 + 2_000, retention));
      await ended(store, job, T0 + MIN, { finishedAt: T0 + 1_000, retention });
      expect(await pruneAfter()).toBe(agedOut(T0 + 1_000, retention));
      await ended(store, job, T0 + 2 * MIN, { finishedAt: T0 + 3_000, retention });
      expect(await pruneAfter()).toBe(T0 + 3_000 + PRUNE_DELAY_MS);
      await ended(store, job, T0 + 3 * MIN, { finishedAt: T0 + 4_000, retention });
      expect(await pruneAfter()).toBe(T0 + 3_000 + PRUNE_DELAY_MS);
    });

    test('is never moved later than the look already planned', async () => {
      const job = await addJob(fx.store, { pruneAfter: T0 - 5 });
      await ended(fx.store, job, T0, { retention });
      await ended(fx.store, job, T0 + MIN, { retention });
      await ended(fx.store, job, T0 + 2 * MIN, { retention });
      expect((await mustGetJob(fx.store, job.id)).pruneAfter).toBe(T0 - 5);
    });

    test('a failure waiting for its onFailure delivery is kept until the delivery', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const e = await ended(store, job, T0, {
        status: 'failed',
        error: { message: 'x' },
        onFailure: 'pending',
        keepLeaseUntil: T0 + MIN,
        retention,
      });
      expect((await mustGetJob(store, job.id)).pruneAfter).toBeNull();
      const delivered = finish(e, {
        from: 'pending-delivery',
        status: 'failed',
        attempt: undefined,
        onFailure: 'failed',
        finishedAt: T0 + 5_000,
        retention,
      });
      expect(await store.executionsFinish({ finishes: [delivered] })).toEqual([true]);
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(agedOut(T0 + 5_000, retention));
    });

    test('a cancelled end counts in no statistic, but is kept and pruned like the others', async () => {
      const job = await addJob(fx.store);
      await ended(fx.store, job, T0, { status: 'cancelled', finishedAt: T0 + 7, retention });
      expect(await mustGetJob(fx.store, job.id)).toEqual({
        ...job,
        pruneAfter: agedOut(T0 + 7, retention),
      });
    });

    test('jobsToPrune returns the jobs whose pruneAfter is due, oldest first, up to limit', async () => {
      const { store } = fx;
      const a = await addJob(store, { id: 'a', pruneAfter: T0 + 3 });
      const b = await addJob(store, { id: 'b', pruneAfter: T0 + 1 });
      const c = await addJob(store, { id: 'c', pruneAfter: T0 + 1, paused: true });
      await addJob(store, { id: 'd', pruneAfter: null });
      await addJob(store, { id: 'e', pruneAfter: T0 + 6 });
      const f = await addJob(store, { id: 'f', pruneAfter: T0 - HOUR });
      expect(await maintenanceOf(store).jobsToPrune({ now: T0 + 5, limit: 100 })).toEqual([
        f,
        b,
        c,
        a,
      ]);
      expect(ids(await maintenanceOf(store).jobsToPrune({ now: T0 + 5, limit: 2 }))).toEqual([
        f.id,
        b.id,
      ]);
      expect(ids(await maintenanceOf(store).jobsToPrune({ now: T0 + 3, limit: 100 }))).toEqual(
        ids([f, b, c, a]),
      );
      expect(await maintenanceOf(store).jobsToPrune({ now: T0 - HOUR - 1, limit: 100 })).toEqual(
        [],
      );
    });
  });
}
