/**
 * Bounds on input that used to be accepted and then broke the engine or the
 * API (regressions of the review of commit 4d81d5b): intervals that fill the
 * ledger or overflow dates, a zero timeout, a jitter longer than a day, a
 * trigger with `null` parameters, scheduler options that are objects without
 * the methods they need, a negative stop deadline.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ChimeError,
  createScheduler,
  every,
  memoryStore,
  type JobDefinition,
  type Scheduler,
  type SchedulerOptions,
} from '../src/index.js';
import { silent, testScheduler } from './helpers/scheduler.js';

const HUNDRED_YEARS_MS = 100 * 365.25 * 24 * 3_600_000;

describe('validation bounds', () => {
  let scheduler: Scheduler;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }).catch(() => undefined));

  async function started(): Promise<Scheduler> {
    scheduler = testScheduler().scheduler;
    await scheduler.start();
    return scheduler;
  }

  it.each([
    ['1 ms', 1],
    ['99 ms', 99],
    ['"50ms"', '50ms'],
    ['100 years + 1 ms', HUNDRED_YEARS_MS + 1],
    ['1e16 ms', 1e16],
    ['1e19 ms', 1e19],
  ])(
    'refuses an interval of %s with CHIME_ERR_SCHEDULE_INTERVAL_INVALID at /schedule/every',
    async (_what, ms) => {
      const s = await started();
      const definition: JobDefinition = { id: 'j', schedule: every(ms), paused: true };
      for (const call of [s.ensureJob.bind(s), s.submitJob.bind(s)]) {
        const err: unknown = await call(definition).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ChimeError);
        expect(err).toMatchObject({
          code: 'CHIME_ERR_SCHEDULE_INTERVAL_INVALID',
          path: '/schedule/every',
        });
      }
      expect((await s.listJobs()).items).toEqual([]);
    },
  );

  it('accepts the bounds themselves: 100 ms and 100 years', async () => {
    const s = await started();
    await s.ensureJob({ id: 'fast', schedule: every(100), paused: true });
    await s.ensureJob({ id: 'slow', schedule: every(HUNDRED_YEARS_MS) });
    expect((await s.listJobs()).items.map((j) => j.id)).toEqual(['fast', 'slow']);
    expect((await s.getJob('slow'))?.nextFireAt).not.toBeNull();
  });

  it('refuses timeout 0 and a jitter longer than a day, accepting a day', async () => {
    const s = await started();
    const base = { schedule: every('1h'), paused: true } as const;
    await expect(s.ensureJob({ ...base, id: 'a', timeout: 0 })).rejects.toMatchObject({
      name: 'ChimeError',
      code: 'CHIME_ERR_DURATION_INVALID',
      path: '/timeout',
    });
    await expect(s.ensureJob({ ...base, id: 'b', jitter: '25h' })).rejects.toMatchObject({
      code: 'CHIME_ERR_DURATION_INVALID',
      path: '/jitter',
    });
    await expect(s.ensureJob({ ...base, id: 'c', jitter: '7d' })).rejects.toMatchObject({
      code: 'CHIME_ERR_DURATION_INVALID',
      path: '/jitter',
    });
    await expect(s.ensureJob({ ...base, id: 'd', jitter: 86_400_001 })).rejects.toMatchObject({
      code: 'CHIME_ERR_DURATION_INVALID',
      path: '/jitter',
    });
    expect((await s.listJobs()).items).toEqual([]);
    await s.ensureJob({ ...base, id: 'ok', timeout: 1, jitter: '1d' });
    expect((await s.getJob('ok'))?.id).toBe('ok');
  });

  it('refuses triggerJob(id, null) with a ChimeError code, and creates no execution', async () => {
    const s = await started();
    await s.ensureJob({ id: 'j', schedule: every('1h'), paused: true });
    const err: unknown = await s.triggerJob('j', null as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChimeError);
    expect((err as ChimeError).code).toMatch(/^CHIME_ERR_/);
    expect((await s.listExecutions({ jobId: 'j' })).items).toEqual([]);
  });

  it.each([
    ['store', 'empty', { store: {} }, /store lacks open/],
    [
      'store',
      'with open and close only',
      { store: { open: async () => undefined, close: async () => undefined } },
      /store lacks .*jobGet/,
    ],
    ['clock', 'empty', { clock: {} }, /clock lacks now/],
    ['clock', 'with now only', { clock: { now: () => 0 } }, /clock lacks .*setTimeout/],
    ['logger', 'empty', { logger: {} }, /logger lacks error/],
    ['logger', 'with error and warn only', { logger: { error() {}, warn() {} } }, /lacks info/],
  ])(
    'refuses a %s option (%s) with CHIME_ERR_OPTION_INVALID naming it and what it lacks',
    (name, _what, options, lacking) => {
      const make = () =>
        createScheduler({
          store: memoryStore(),
          logger: silent,
          ...(options as unknown as SchedulerOptions),
        });
      expect(make).toThrow(ChimeError);
      expect(make).toThrow(
        expect.objectContaining({ code: 'CHIME_ERR_OPTION_INVALID', path: `/${name}` }),
      );
      expect(make).toThrow(lacking);
    },
  );

  it('refuses stop({ timeoutMs: -5 }) and keeps running', async () => {
    const s = await started();
    await expect(s.stop({ timeoutMs: -5 })).rejects.toMatchObject({
      name: 'ChimeError',
      code: 'CHIME_ERR_INVALID_INPUT',
      path: '/timeoutMs',
    });
    expect(s.status().state).toBe('running');
    await s.ensureJob({ id: 'still-running', schedule: every('1h'), paused: true });
    await s.stop({ timeoutMs: 0 });
    expect(s.status().state).toBe('stopped');
  });
});
