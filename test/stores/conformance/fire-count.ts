import { describe, expect, test } from 'vitest';
import { T0, makeExecutionRecord, marked } from '../records.js';
import { MIN, type Fixture, addJob, leased, mustGetJob, plan } from './fixture.js';
import { updateJob } from '../../helpers/jobs.js';

// ------------------------------------------------------------- the fire count (maxFires)

export function fireCountTests(fx: Fixture): void {
  describe('fireCount', () => {
    test('each applied plan adds its fires; a stale plan adds nothing', async () => {
      const job = await addJob(fx.store);
      await fx.store.jobsAdvance({ plans: [plan(job, { nextFireAt: T0 + MIN, fires: 2 })] });
      const once = await mustGetJob(fx.store, job.id);
      expect(once.fireCount).toBe(2);
      await fx.store.jobsAdvance({ plans: [plan(job, { nextFireAt: T0 + MIN, fires: 5 })] });
      expect((await mustGetJob(fx.store, job.id)).fireCount).toBe(2);
      await fx.store.jobsAdvance({ plans: [plan(once, { nextFireAt: T0 + 2 * MIN, fires: 3 })] });
      expect((await mustGetJob(fx.store, job.id)).fireCount).toBe(5);
    });

    test('a job update leaves the count as the store has it (a plan since the read is not lost)', async () => {
      const job = await addJob(fx.store);
      await fx.store.jobsAdvance({ plans: [plan(job, { fires: 4 })] });
      const written = {
        ...job,
        version: job.version + 1,
        definition: marked(job, '2'),
        fireCount: 0,
      };
      expect(
        await updateJob(fx.store, {
          job: written,
          expectedVersion: job.version,
          dropPlanned: false,
        }),
      ).toBe(true);
      const stored = await mustGetJob(fx.store, job.id);
      expect(stored).toMatchObject({ definition: written.definition, fireCount: 4 });
    });

    test('planned fires an update drops leave the count; a held one stays counted', async () => {
      const job = await addJob(fx.store);
      const free = [0, 1].map((k) => makeExecutionRecord({ jobId: job.id, fireAt: T0 + k * MIN }));
      const held = makeExecutionRecord({
        jobId: job.id,
        fireAt: T0 + 2 * MIN,
        ...leased('me', 1),
      });
      const executions = [...free, held];
      await fx.store.jobsAdvance({
        plans: [plan(job, { nextFireAt: T0 + 3 * MIN, executions, fires: 3 })],
      });
      const advanced = await mustGetJob(fx.store, job.id);
      const changed = { ...advanced, version: advanced.version + 1 };
      await updateJob(fx.store, {
        job: changed,
        expectedVersion: advanced.version,
        dropPlanned: true,
      });
      expect((await mustGetJob(fx.store, job.id)).fireCount).toBe(1);
    });
  });
}
