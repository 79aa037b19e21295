/**
 * A job that decides its own next run, on every real store (issue 19): a
 * handler returning `{ next: Date }` moves its job's next fire there, one
 * returning `{ complete: true }` ends a recurring job, and a malformed one
 * fails the attempt for good, leaving the job alone. Real clock; the
 * scheduler plans 100 ms ahead, so a directive meets no fire already claimed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler, every, type Handler, type Job, type Scheduler } from '../src/index.js';
import { until } from './helpers/events.js';
import { silent } from './helpers/scheduler.js';
import { storeCases } from './helpers/store-cases.js';

const STORES = await storeCases('chime_directive');

for (const storeCase of STORES) {
  describe.skipIf(!storeCase.available)(`job directives on the ${storeCase.name} store`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function started(handler: Handler): Promise<Scheduler> {
      const { store, cleanup } = storeCase.make();
      const s = createScheduler({ store, logger: silent, horizonMs: 100, pollIntervalMs: 50 });
      s.setHandler(handler);
      cleanups.push(cleanup, () => s.stop({ timeoutMs: 0 }));
      await s.start();
      return s;
    }

    it('{ next } moves the next fire past the schedule’s own; { complete: true } ends the job', async () => {
      const fires: number[] = [];
      let next = 0;
      const s = await started((ctx) => {
        fires.push(ctx.fireAt.getTime());
        if (fires.length === 1) {
          next = ctx.fireAt.getTime() + 1_000;
          return { next: new Date(next) };
        }
        return { complete: true };
      });
      const job = await s.ensureJob({ id: 'self', schedule: every('300ms') });
      await until(
        async () => (await s.getJob('self'))?.nextFireAt === new Date(next).toISOString(),
        5_000,
      );
      await until(async () => (await s.getJob('self'))?.completedAt != null, 5_000, 'completed');
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(fires).toEqual([Date.parse(job.createdAt), next]);
      // Each directive is a new version of the job, as every write of it (a plan made on the
      // version before cannot apply: the NATS store tells a plan's window by the version).
      expect(await s.getJob('self')).toMatchObject({
        nextFireAt: null,
        paused: false,
        version: job.version + 2,
      });
      const { items } = await s.listExecutions({ jobId: 'self' });
      expect(items.map((e) => e.status)).toEqual(['succeeded', 'succeeded']);
    });

    it('a malformed directive fails the attempt for good and leaves the job on its schedule', async () => {
      const s = await started(() => ({ next: 'tomorrow' }));
      await s.ensureJob({ id: 'wrong', schedule: every('1h'), retry: { maxAttempts: 3 } });
      await until(
        async () =>
          (await s.listExecutions({ jobId: 'wrong', status: 'failed' })).items.length === 1,
        5_000,
      );
      const [failed] = (await s.listExecutions({ jobId: 'wrong' })).items;
      expect(failed?.attempts).toHaveLength(1);
      expect(failed?.error?.message).toContain('next must be a Date');
      const job = (await s.getJob('wrong')) as Job;
      expect(Date.parse(job.nextFireAt ?? '')).toBe(Date.parse(job.createdAt) + 3_600_000);
    });
  });
}
