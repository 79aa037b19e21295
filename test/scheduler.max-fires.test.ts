/**
 * `maxFires` on every real store: a job completes after exactly that many
 * fires (as its preview listed them), the count survives a restart and holds
 * with two instances on one store, and it works with `startAt` / `endAt`.
 * Real clock, short intervals.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ChimeError,
  createScheduler,
  every,
  type Job,
  type Scheduler,
  type Store,
} from '../src/index.js';
import { until } from './helpers/events.js';
import { silent } from './helpers/scheduler.js';
import { storeCases, type StoreMade } from './helpers/store-cases.js';

const STORES = await storeCases('chime_max_fires');

/** The fire instants of a job's executions, oldest first. */
async function firesOf(s: Scheduler, jobId: string): Promise<string[]> {
  const page = await s.listExecutions({ jobId, limit: 1000 });
  return page.items.map((e) => e.fireAt).reverse();
}

/** Waits until the job is completed, and returns it. */
async function completed(s: Scheduler, id: string): Promise<Job> {
  await until(async () => (await s.getJob(id))?.completedAt != null, 15_000, `${id} completed`);
  return (await s.getJob(id)) as Job;
}

for (const storeCase of STORES) {
  describe.skipIf(!storeCase.available)(`maxFires on the ${storeCase.name} store`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /** A fresh store's data; removed after the test. */
    function data(): StoreMade {
      const made = storeCase.make();
      cleanups.push(made.cleanup);
      return made;
    }

    /**
     * A started scheduler on `store`, stopped after the test; it plans 150 ms
     * ahead, so a job on 100 ms fires is planned a fire or two at a time.
     */
    async function started(store: Store): Promise<Scheduler> {
      const s = createScheduler({ store, logger: silent, horizonMs: 150, pollIntervalMs: 100 });
      s.setHandler(() => undefined);
      cleanups.push(() => s.stop({ timeoutMs: 0 }));
      await s.start();
      return s;
    }

    it('a job completes after exactly maxFires fires, the ones its preview listed', async () => {
      const s = await started(data().store);
      const job = await s.ensureJob({ id: 'three', schedule: every('100ms'), maxFires: 3 });
      expect(job).toMatchObject({ maxFires: 3, fireCount: 0 });
      const preview = s.nextFireTimes(job.schedule, { from: job.createdAt, maxFires: 3 });
      const done = await completed(s, 'three');
      expect(done).toMatchObject({ fireCount: 3, nextFireAt: null });
      await new Promise((resolve) => setTimeout(resolve, 300)); // nothing fires after it
      expect(await firesOf(s, 'three')).toEqual(preview.map((f) => f.utc));
      expect(preview).toHaveLength(3);
    });

    it('with startAt and endAt: fires from startAt, and endAt ends it before maxFires', async () => {
      const s = await started(data().store);
      const startAt = new Date(Date.now() + 300);
      const endAt = new Date(startAt.getTime() + 250);
      const schedule = every('100ms', { startAt, endAt });
      await s.ensureJob({ id: 'window', schedule, maxFires: 5 });
      await s.ensureJob({ id: 'short', schedule, maxFires: 2 });
      const k = (n: number) => new Date(startAt.getTime() + n * 100).toISOString();
      expect((await completed(s, 'window')).fireCount).toBe(3);
      expect(await firesOf(s, 'window')).toEqual([k(0), k(1), k(2)]);
      expect((await completed(s, 'short')).fireCount).toBe(2);
      expect(await firesOf(s, 'short')).toEqual([k(0), k(1)]);
    });

    it('a maxFires that is no positive integer is refused at its path', async () => {
      const s = await started(data().store);
      for (const maxFires of [0, -1, 1.5, 2 ** 31])
        await expect(s.ensureJob({ id: 'bad', schedule: every('1m'), maxFires })).rejects.toSatisfy(
          (err) => err instanceof ChimeError && err.path === '/maxFires',
        );
      expect(await s.getJob('bad')).toBeNull();
    });

    it.skipIf(storeCase.name === 'memory')(
      'the count survives a restart: a second instance finishes the job after the first stopped',
      async () => {
        const made = data();
        const first = await started(made.store);
        const job = await first.ensureJob({ id: 'six', schedule: every('100ms'), maxFires: 6 });
        await until(async () => (await firesOf(first, 'six')).length >= 2, 10_000);
        expect((await first.getJob('six'))?.fireCount).toBeLessThan(6);
        await first.stop();
        const second = await started(made.another?.() as Store);
        const done = await completed(second, 'six');
        expect(done.fireCount).toBe(6);
        const fires = await firesOf(second, 'six');
        const anchor = Date.parse(job.createdAt);
        // Fires missed while no instance ran count too (recorded missed, or one run late).
        expect(fires.length).toBe(6);
        expect(fires).toEqual(
          [0, 1, 2, 3, 4, 5].map((n) => new Date(anchor + n * 100).toISOString()),
        );
      },
    );

    it.skipIf(storeCase.name === 'memory')(
      'two instances on one store make exactly maxFires fires between them',
      async () => {
        const made = data();
        const a = await started(made.store);
        const b = await started(made.another?.() as Store);
        await a.ensureJob({ id: 'shared', schedule: every('100ms'), maxFires: 8 });
        await completed(b, 'shared');
        await new Promise((resolve) => setTimeout(resolve, 300));
        const fires = await firesOf(a, 'shared');
        expect(fires).toHaveLength(8);
        expect(new Set(fires).size).toBe(8);
        expect((await a.getJob('shared'))?.fireCount).toBe(8);
      },
    );
  });
}
