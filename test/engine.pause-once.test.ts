/**
 * Pausing and resuming a job around its last fire (regressions of the review
 * of commit 4d81d5b):
 *
 * - a one-shot (or a bounded interval) whose last fire was already planned and
 *   claimed is paused and resumed before the instant: the claimed fire stays
 *   (its holder runs it from memory at its instant) and happens exactly once,
 *   and the job stays completed (a pause drops only the planned fires nobody
 *   holds, and reopens the job then: the store conformance suite);
 * - a one-shot paused over its instant and resumed after it: its fire was
 *   paused, not missed, so the job is completed without firing late.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { every, memoryStore, once, type Scheduler } from '../src/index.js';
import { testScheduler } from './helpers/scheduler.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('pause and resume around a last fire', () => {
  let scheduler: Scheduler | undefined;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  it('fires a one-shot (and a bounded interval’s last fire) exactly once when paused and resumed after the fire was claimed, before its instant', async () => {
    const t = testScheduler();
    scheduler = t.scheduler;
    const { clock } = t;
    const t0 = clock.now();
    const runs: { jobId: string; fireAt: number; at: number }[] = [];
    scheduler.handle('h', (ctx) => {
      runs.push({ jobId: ctx.job.id, fireAt: ctx.fireAt.getTime(), at: clock.now() });
    });
    await scheduler.start();
    const at = t0 + 10_000;
    await scheduler.ensureJob({
      id: 'reminder',
      schedule: once(new Date(at)),
      target: { type: 'handler', name: 'h' },
    });
    await scheduler.ensureJob({
      id: 'bounded', // its one and last fire at +10 s
      schedule: every('5s', { startAt: new Date(at), endAt: new Date(at) }),
      target: { type: 'handler', name: 'h' },
    });
    await clock.advance(8_500); // within the 2 s horizon: both fires are planned
    for (const id of ['reminder', 'bounded']) {
      const job = await scheduler.getJob(id);
      // The planner consumed the last fire: nothing left to plan, the job looks done.
      expect(job).toMatchObject({ nextFireAt: null });
      expect(job?.completedAt).not.toBeNull();
    }

    for (const id of ['reminder', 'bounded']) await scheduler.pauseJob(id);
    for (const id of ['reminder', 'bounded']) {
      // The claimed fire stays: the job is still done, its last fire still ahead.
      const resumed = await scheduler.resumeJob(id);
      expect(resumed).toMatchObject({ paused: false, nextFireAt: null });
      expect(resumed.completedAt).not.toBeNull();
    }

    await clock.advance(60_000);
    expect(runs.sort((a, b) => a.jobId.localeCompare(b.jobId))).toEqual([
      { jobId: 'bounded', fireAt: at, at },
      { jobId: 'reminder', fireAt: at, at },
    ]);
    for (const id of ['reminder', 'bounded']) {
      const executions = (await scheduler.listExecutions({ jobId: id })).items;
      expect(executions.map((e) => [e.fireAt, e.status])).toEqual([[iso(at), 'succeeded']]);
      const job = await scheduler.getJob(id);
      expect(job).toMatchObject({ nextFireAt: null });
      expect(job?.completedAt).not.toBeNull();
    }
  });

  it('completes a one-shot paused over its instant and resumed after it, without firing', async () => {
    const t = testScheduler();
    scheduler = t.scheduler;
    const { clock } = t;
    const t0 = clock.now();
    const runs: string[] = [];
    scheduler.handle('h', (ctx) => void runs.push(ctx.job.id));
    await scheduler.start();
    await scheduler.ensureJob({
      id: 'once',
      schedule: once(new Date(t0 + 60_000)),
      target: { type: 'handler', name: 'h' },
    });
    await scheduler.ensureJob({
      id: 'interval',
      schedule: every('1h', { startAt: new Date(t0 + 60_000) }),
      target: { type: 'handler', name: 'h' },
    });
    await scheduler.pauseJob('once');
    await scheduler.pauseJob('interval');
    await clock.advance(3_600_000); // paused for an hour, over both instants
    const resumedAt = clock.now();
    const once_ = await scheduler.resumeJob('once');
    const interval = await scheduler.resumeJob('interval');
    expect(once_).toMatchObject({ paused: false, nextFireAt: null });
    expect(once_.completedAt).toBe(iso(resumedAt));
    // The interval resumes from now: its next slot, not the ones it slept through.
    expect(interval.nextFireAt).toBe(iso(resumedAt + 60_000));

    await clock.advance(10_000);
    expect(runs).toEqual([]);
    expect((await scheduler.listExecutions({ jobId: 'once' })).items).toEqual([]);
    const job = await scheduler.getJob('once');
    expect(job).toMatchObject({ nextFireAt: null });
    expect(job?.completedAt).toBe(iso(resumedAt));

    await clock.advance(60_000); // the interval's next slot does fire
    expect(runs).toEqual(['interval']);
  });

  it('records as skipped, without running it, a fire claimed before its job paused and handed back since', async () => {
    const store = memoryStore();
    const first = testScheduler({ store });
    const t0 = first.clock.now();
    const runs: string[] = [];
    first.scheduler.handle('h', () => void runs.push('first'));
    await first.scheduler.start();
    await first.scheduler.ensureJob({
      id: 'j',
      schedule: every('1h', { startAt: new Date(t0 + 1_500) }),
      target: { type: 'handler', name: 'h' },
    });
    await first.clock.advance(500); // claimed ahead
    await first.scheduler.pauseJob('j');
    await first.scheduler.stop({ timeoutMs: 0 }); // hands the claimed fire back

    const second = testScheduler({ store, clock: first.clock });
    scheduler = second.scheduler;
    second.scheduler.handle('h', () => void runs.push('second'));
    await second.scheduler.start();
    await second.clock.advance(5_000);
    expect(runs).toEqual([]);
    const executions = (await second.scheduler.listExecutions({ jobId: 'j' })).items;
    expect(executions.map((e) => [e.fireAt, e.status, e.attempts.length])).toEqual([
      [iso(t0 + 1_500), 'skipped', 0],
    ]);
    expect(executions[0]?.reason).toEqual({ code: 'paused', message: 'its job was paused' });
  });
});
