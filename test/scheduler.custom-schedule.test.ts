/**
 * Custom schedule kinds registered in the library (issue 19): on every real
 * store a job on `{ kind: 'custom', name, params }` fires where the preview
 * says (real clock); an unknown name or params its function refuses are a
 * clear error when the job is declared; a business-days schedule previews
 * across a weekend.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ChimeError,
  createScheduler,
  custom,
  type CustomScheduleFn,
  type Scheduler,
} from '../src/index.js';
import { until } from './helpers/events.js';
import { silent } from './helpers/scheduler.js';
import { storeCases } from './helpers/store-cases.js';

const STORES = await storeCases('chime_custom');

/** Every `params.ms` milliseconds, on multiples of it. */
const ticks: CustomScheduleFn = (after, params) => {
  const ms = (params as { ms?: unknown } | undefined)?.ms;
  if (typeof ms !== 'number' || ms < 100)
    throw new Error('params.ms must be a number of at least 100');
  return new Date((Math.floor(after.getTime() / ms) + 1) * ms);
};

/** Weekdays (Monday to Friday) at `params.hour` UTC. */
const businessDays: CustomScheduleFn = (after, params) => {
  const hour = (params as { hour: number }).hour;
  const day = new Date(after);
  day.setUTCHours(hour, 0, 0, 0);
  while (day <= after || day.getUTCDay() === 0 || day.getUTCDay() === 6)
    day.setUTCDate(day.getUTCDate() + 1);
  return day;
};

for (const storeCase of STORES) {
  describe.skipIf(!storeCase.available)(`custom schedules on the ${storeCase.name} store`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function started(): Promise<Scheduler> {
      const { store, cleanup } = storeCase.make();
      const s = createScheduler({ store, logger: silent, horizonMs: 100, pollIntervalMs: 50 });
      s.schedule('ticks', ticks).schedule('business-days', businessDays);
      s.setHandler(() => undefined);
      cleanups.push(cleanup, () => s.stop({ timeoutMs: 0 }));
      await s.start();
      return s;
    }

    it('a job on a custom schedule fires where its preview says', async () => {
      const s = await started();
      const schedule = custom('ticks', { ms: 200 });
      const job = await s.ensureJob({ id: 'ticking', schedule, maxFires: 3 });
      const preview = s.nextFireTimes(schedule, { from: job.createdAt, maxFires: 3 });
      await until(async () => (await s.getJob('ticking'))?.completedAt != null, 5_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const { items } = await s.listExecutions({ jobId: 'ticking' });
      expect(items.map((e) => e.fireAt).reverse()).toEqual(preview.map((f) => f.utc));
      expect(items.every((e) => e.status === 'succeeded')).toBe(true);
    });

    it('an unknown name, or params its function refuses, is a clear error at declaration', async () => {
      const s = await started();
      const refusal = (promise: Promise<unknown>) =>
        promise.then(
          () => expect.unreachable('expected a rejection'),
          (err: unknown) => err as ChimeError,
        );
      const unknown = await refusal(s.ensureJob({ id: 'x', schedule: custom('holidays') }));
      expect(unknown).toBeInstanceOf(ChimeError);
      expect(unknown).toMatchObject({
        code: 'CHIME_ERR_SCHEDULE_KIND_UNKNOWN',
        path: '/schedule/name',
      });
      expect(unknown.message).toContain('registered: ticks, business-days');
      const bad = await refusal(s.ensureJob({ id: 'x', schedule: custom('ticks', { ms: 5 }) }));
      expect(bad).toMatchObject({ code: 'CHIME_ERR_INVALID_INPUT', path: '/schedule/params' });
      expect(bad.message).toContain('params.ms must be a number of at least 100');
      expect(await s.getJob('x')).toBeNull();
      expect(() => s.nextFireTimes(custom('holidays'))).toThrow(/no custom schedule/);
    });

    it('business days preview across a weekend', async () => {
      const s = await started();
      const fires = s.nextFireTimes(custom('business-days', { hour: 9 }), {
        from: '2026-12-03T12:00:00Z', // a Thursday
        count: 4,
      });
      expect(fires.map((f) => f.utc)).toEqual([
        '2026-12-04T09:00:00.000Z',
        '2026-12-07T09:00:00.000Z',
        '2026-12-08T09:00:00.000Z',
        '2026-12-09T09:00:00.000Z',
      ]);
    });
  });
}
