/**
 * A preview lists the fires the engine really makes: on every real store, a
 * job's executions are compared with the preview of its schedule from the
 * job's creation (real clock, short intervals).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler, every, type Scheduler } from '../src/index.js';
import { until } from './helpers/events.js';
import { silent } from './helpers/scheduler.js';
import { storeCases } from './helpers/store-cases.js';

const STORES = await storeCases('chime_preview');

/** The fire instants of a job's executions, oldest first. */
async function firesOf(s: Scheduler, jobId: string): Promise<string[]> {
  const page = await s.listExecutions({ jobId, limit: 1000 });
  return page.items.map((e) => e.fireAt).reverse();
}

for (const storeCase of STORES) {
  describe.skipIf(!storeCase.available)(`previews on the ${storeCase.name} store`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /** A started scheduler on a fresh store, stopped after the test. */
    async function started(): Promise<Scheduler> {
      const { store, cleanup } = storeCase.make();
      const s = createScheduler({ store, logger: silent });
      s.setHandler(() => undefined);
      cleanups.push(cleanup, () => s.stop({ timeoutMs: 0 }));
      await s.start();
      return s;
    }

    it('an interval without startAt: the preview from the creation lists the fire at creation, as the engine makes it', async () => {
      const s = await started();
      const job = await s.ensureJob({ id: 'tick', schedule: every('150ms') });
      const preview = s.nextFireTimes(job.schedule, { from: job.createdAt, count: 4 });
      await until(async () => (await firesOf(s, 'tick')).length >= 4, 10_000, 'four fires');
      expect((await firesOf(s, 'tick')).slice(0, 4)).toEqual(preview.map((f) => f.utc));
      expect(preview[0]?.utc).toBe(job.createdAt);
    });
  });
}
