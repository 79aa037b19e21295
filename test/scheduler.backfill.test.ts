/**
 * Backfill of a past window on every real store (issue 19): across the
 * spring-forward of Europe/Berlin, a backfill adds exactly the fires its dry
 * run and the schedule's preview list, runs each once (however late, whatever
 * the misfire policy), marked as backfill; fires already run are not run
 * again, and running it twice adds nothing. Real clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChimeError, createScheduler, cron, type Scheduler } from '../src/index.js';
import { until } from './helpers/events.js';
import { silent } from './helpers/scheduler.js';
import { storeCases } from './helpers/store-cases.js';

const STORES = await storeCases('chime_backfill');

/** 02:30 in Berlin every day: on 2026-03-29 that time does not exist and the fire moves to 03:00. */
const NIGHTLY = cron('30 2 * * *', { tz: 'Europe/Berlin' });
const FROM = '2026-03-27T00:00:00Z';
const TO = '2026-03-31T00:00:00Z';

for (const storeCase of STORES) {
  describe.skipIf(!storeCase.available)(`backfill on the ${storeCase.name} store`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /** A started scheduler on a fresh store whose handler records each call; stopped after the test. */
    async function started(maxBackfillFires?: number) {
      const { store, cleanup } = storeCase.make();
      const s = createScheduler({
        store,
        logger: silent,
        ...(maxBackfillFires === undefined ? {} : { maxBackfillFires }),
      });
      const calls: { fireAt: string; backfill: boolean | undefined }[] = [];
      s.setHandler(
        (ctx) => void calls.push({ fireAt: ctx.fireAt.toISOString(), backfill: ctx.backfill }),
      );
      cleanups.push(cleanup, () => s.stop({ timeoutMs: 0 }));
      await s.start();
      return { s, calls };
    }

    async function succeeded(s: Scheduler, jobId: string): Promise<string[]> {
      const page = await s.listExecutions({ jobId, status: 'succeeded', limit: 1000 });
      return page.items.map((e) => e.fireAt).sort();
    }

    it('across a DST change: adds exactly the previewed fires, runs each once, and twice adds none', async () => {
      const { s, calls } = await started();
      await s.ensureJob({ id: 'nightly', schedule: NIGHTLY, misfire: 'skip' });
      const preview = s
        .nextFireTimes(NIGHTLY, { from: new Date(Date.parse(FROM) - 1), count: 10 })
        .filter((f) => f.utc <= new Date(TO).toISOString());
      expect(preview.map((f) => f.utc)).toEqual([
        '2026-03-27T01:30:00.000Z',
        '2026-03-28T01:30:00.000Z',
        '2026-03-29T01:00:00.000Z', // 03:00 CEST: 02:30 did not exist
        '2026-03-30T00:30:00.000Z',
      ]);
      expect(preview[2]?.dstShifted).toBe(true);

      // One fire of the window has run already.
      const first = await s.backfillJob('nightly', {
        from: '2026-03-28T00:00:00Z',
        to: '2026-03-28T23:00:00Z',
      });
      expect(first.fires).toEqual(['2026-03-28T01:30:00.000Z']);
      await until(async () => (await succeeded(s, 'nightly')).length === 1, 10_000);

      const dry = await s.backfillJob('nightly', { from: FROM, to: new Date(TO), dryRun: true });
      const expected = preview.map((f) => f.utc).filter((f) => f !== '2026-03-28T01:30:00.000Z');
      expect(dry).toEqual({
        jobId: 'nightly',
        dryRun: true,
        fires: expected,
        existing: ['2026-03-28T01:30:00.000Z'],
      });
      expect(await s.listExecutions({ jobId: 'nightly' })).toMatchObject({ items: [{}] });

      const real = await s.backfillJob('nightly', { from: FROM, to: TO });
      expect(real.fires).toEqual(dry.fires);
      await until(
        async () => (await succeeded(s, 'nightly')).length === 4,
        10_000,
        'four fires run',
      );
      expect(await succeeded(s, 'nightly')).toEqual(preview.map((f) => f.utc));
      expect(calls.map((c) => c.fireAt).sort()).toEqual(preview.map((f) => f.utc));
      expect(calls.every((c) => c.backfill === true)).toBe(true);
      const { items } = await s.listExecutions({ jobId: 'nightly' });
      expect(items.every((e) => e.backfill === true && e.trigger === 'schedule')).toBe(true);

      const twice = await s.backfillJob('nightly', { from: FROM, to: TO });
      expect(twice.fires).toEqual([]);
      expect(twice.existing).toEqual(preview.map((f) => f.utc));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(calls).toHaveLength(4);
    });

    it('under overlap forbid: the fires run one after another, none skipped', async () => {
      const { store, cleanup } = storeCase.make();
      const s = createScheduler({ store, logger: silent });
      cleanups.push(cleanup, () => s.stop({ timeoutMs: 0 }));
      let running = 0;
      let most = 0;
      s.setHandler(async () => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 300));
        running -= 1;
      });
      await s.start();
      await s.ensureJob({ id: 'serial', schedule: NIGHTLY, overlap: 'forbid' });
      const { fires } = await s.backfillJob('serial', { from: FROM, to: TO });
      expect(fires).toHaveLength(4);
      await until(async () => (await succeeded(s, 'serial')).length === 4, 20_000, 'four run');
      expect(await succeeded(s, 'serial')).toEqual(fires);
      const { items } = await s.listExecutions({ jobId: 'serial' });
      expect(items.map((e) => e.status)).toEqual(Array(4).fill('succeeded'));
      expect(most).toBe(1);
    });

    it('refuses a window of more fires than maxBackfillFires, one in the future, and an unknown job, adding nothing', async () => {
      const { s } = await started(3);
      await s.ensureJob({ id: 'nightly', schedule: NIGHTLY });
      const refusal = (promise: Promise<unknown>) =>
        promise.then(
          () => expect.unreachable('expected a rejection'),
          (err: unknown) => err as ChimeError,
        );
      const tooMany = await refusal(s.backfillJob('nightly', { from: FROM, to: TO }));
      expect(tooMany).toBeInstanceOf(ChimeError);
      expect(tooMany).toMatchObject({ code: 'CHIME_ERR_BACKFILL_TOO_LARGE', path: '/to' });
      expect(tooMany.message).toContain('more than 3 fires');
      const future = new Date(Date.now() + 86_400_000);
      expect(await refusal(s.backfillJob('nightly', { from: FROM, to: future }))).toMatchObject({
        code: 'CHIME_ERR_INVALID_INPUT',
        path: '/to',
      });
      expect(await refusal(s.backfillJob('nightly', { from: TO, to: FROM }))).toMatchObject({
        code: 'CHIME_ERR_INVALID_INPUT',
        path: '/from',
      });
      expect(await refusal(s.backfillJob('nightly', { from: 'yesterday', to: TO }))).toMatchObject({
        code: 'CHIME_ERR_DATE_INVALID',
        path: '/from',
      });
      expect(await refusal(s.backfillJob('nope', { from: FROM, to: TO }))).toMatchObject({
        code: 'CHIME_ERR_JOB_NOT_FOUND',
      });
      expect((await s.listExecutions({ jobId: 'nightly' })).items).toEqual([]);
    });
  });
}
