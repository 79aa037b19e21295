import { describe, expect, test } from 'vitest';
import type { Store } from '../../../src/stores/store.js';
import { T0, makeStats } from '../records.js';
import { MIN, HOUR, type Fixture, addJob, mustGetJob, ids, sorted, ended } from './fixture.js';
import { updateJob, maintenanceOf } from '../../helpers/jobs.js';

// -------------------------------------------------------------- staleness

export function staleTests(fx: Fixture): void {
  describe('jobsStale', () => {
    test('marks and returns, once, the jobs without a success for staleAfterMs', async () => {
      const { store } = fx;
      const never = await addJob(store, { staleAfterMs: HOUR, createdAt: T0 - HOUR });
      const succeeded = await addJob(store, {
        staleAfterMs: HOUR,
        createdAt: T0 - 5 * HOUR,
        stats: makeStats({ succeeded: 1, lastSuccessAt: T0 - HOUR + 1 }),
      });
      await addJob(store, { staleAfterMs: null, createdAt: T0 - 5 * HOUR });
      await addJob(store, { staleAfterMs: HOUR, createdAt: T0 - 5 * HOUR, paused: true });
      await addJob(store, {
        staleAfterMs: HOUR,
        createdAt: T0 - 5 * HOUR,
        nextFireAt: null,
        completedAt: T0 - 4 * HOUR,
      });
      const marked = await addJob(store, {
        staleAfterMs: HOUR,
        createdAt: T0 - 5 * HOUR,
        staleSince: T0 - 4 * HOUR,
      });

      expect(await maintenanceOf(store).jobsStale({ now: T0, limit: 100 })).toEqual([
        { ...never, staleSince: T0 },
      ]);
      expect(await maintenanceOf(store).jobsStale({ now: T0, limit: 100 })).toEqual([]);
      expect(await maintenanceOf(store).jobsStale({ now: T0 + 1, limit: 100 })).toEqual([
        { ...succeeded, staleSince: T0 + 1 },
      ]);
      expect(await mustGetJob(store, never.id)).toEqual({ ...never, staleSince: T0 });
      expect(await mustGetJob(store, marked.id)).toEqual(marked);
      expect(await maintenanceOf(store).jobsStale({ now: T0 + 100 * HOUR, limit: 100 })).toEqual(
        [],
      );
    });

    test('reports the longest stale first, up to limit', async () => {
      const { store } = fx;
      const jobs = [];
      for (const age of [3, 1, 2]) {
        jobs.push(
          await addJob(store, {
            id: `stale-${age}`,
            staleAfterMs: HOUR,
            createdAt: T0 - age * HOUR,
          }),
        );
      }
      expect(ids(await maintenanceOf(store).jobsStale({ now: T0, limit: 2 }))).toEqual([
        'stale-3',
        'stale-2',
      ]);
      expect(ids(await maintenanceOf(store).jobsStale({ now: T0, limit: 2 }))).toEqual(['stale-1']);
    });

    test('a success clears staleSince, and the job goes stale again from that success', async () => {
      const { store } = fx;
      const job = await addJob(store, { staleAfterMs: HOUR, createdAt: T0 - HOUR });
      expect(ids(await maintenanceOf(store).jobsStale({ now: T0, limit: 10 }))).toEqual([job.id]);
      await ended(store, job, T0, { status: 'failed', error: { message: 'x' } });
      expect((await mustGetJob(store, job.id)).staleSince).toBe(T0);
      await ended(store, job, T0 + MIN, { finishedAt: T0 + 2 * MIN });
      expect((await mustGetJob(store, job.id)).staleSince).toBeNull();
      expect(
        await maintenanceOf(store).jobsStale({ now: T0 + 2 * MIN + HOUR - 1, limit: 10 }),
      ).toEqual([]);
      const again = await maintenanceOf(store).jobsStale({ now: T0 + 2 * MIN + HOUR, limit: 10 });
      expect(again).toEqual([
        expect.objectContaining({ id: job.id, staleSince: T0 + 2 * MIN + HOUR }),
      ]);
    });

    test('jobUpdate changes staleAfterMs, which decides from then on', async () => {
      const { store } = fx;
      const job = await addJob(store, { staleAfterMs: 2 * HOUR, createdAt: T0 - HOUR });
      expect(await maintenanceOf(store).jobsStale({ now: T0, limit: 10 })).toEqual([]);
      const next = { ...job, staleAfterMs: HOUR, version: 2 };
      expect(await updateJob(store, { job: next, expectedVersion: 1, dropPlanned: false })).toBe(
        true,
      );
      expect(ids(await maintenanceOf(store).jobsStale({ now: T0, limit: 10 }))).toEqual([job.id]);
    });

    test('two instances asking at once never both report a job', async () => {
      const { store } = fx;
      const { reopen } = fx.harness;
      const second = reopen ? await reopen() : store;
      if (second !== store) await second.open();
      try {
        const all: string[] = [];
        for (let i = 0; i < 30; i++)
          all.push((await addJob(store, { staleAfterMs: HOUR, createdAt: T0 - HOUR - i })).id);
        const drain = async (instance: Store) => {
          const got: string[] = [];
          for (let round = 0; round <= all.length; round++) {
            const page = await maintenanceOf(instance).jobsStale({ now: T0, limit: 4 });
            if (page.length === 0) return got;
            got.push(...ids(page));
          }
          throw new Error('jobsStale never ran dry');
        };
        const results = await Promise.all([drain(store), drain(second), drain(store)]);
        const got = results.flat();
        expect(new Set(got).size).toBe(got.length);
        expect(sorted(got)).toEqual(sorted(all));
      } finally {
        if (second !== store) await second.close();
      }
    });
  });
}
