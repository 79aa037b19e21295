import { afterEach, describe, expect, it } from 'vitest';
import { cron, every, once, type Scheduler } from '../src/index.js';
import { waitFor } from './helpers/events.js';
import { testScheduler } from './helpers/scheduler.js';

describe('the job API', () => {
  let scheduler: Scheduler;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  async function started() {
    const t = testScheduler();
    scheduler = t.scheduler;
    scheduler.setHandler(() => undefined);
    await scheduler.start();
    return t;
  }

  it('ensureJob is idempotent: a second identical call changes nothing and bumps no version', async () => {
    await started();
    const def = {
      id: 'daily',
      schedule: cron('0 3 * * *', { tz: 'Europe/Berlin' }),
      metadata: { team: 'a' },
    };
    const first = await scheduler.ensureJob(def);
    const second = await scheduler.ensureJob({ ...def, metadata: { team: 'a' } });
    expect(second).toEqual(first);
    expect(second.version).toBe(1);
    expect(first.nextFireAt).toBe('2026-03-03T02:00:00.000Z');
  });

  it('ensureJob updates a changed definition, bumps the version and keeps nextFireAt when the schedule is unchanged', async () => {
    await started();
    const first = await scheduler.ensureJob({
      id: 'r',
      schedule: cron('0 3 * * *'),
      payload: { a: 1 },
    });
    const second = await scheduler.ensureJob({
      id: 'r',
      schedule: cron('0 3 * * *'),
      payload: { a: 2 },
    });
    expect(second.version).toBe(2);
    expect(second.payload).toEqual({ a: 2 });
    expect(second.nextFireAt).toBe(first.nextFireAt);
    const third = await scheduler.ensureJob({
      id: 'r',
      schedule: cron('0 4 * * *'),
      payload: { a: 2 },
    });
    expect(third.nextFireAt).toBe('2026-03-03T04:00:00.000Z');
  });

  it('an interval without startAt keeps its anchor across identical ensureJob calls', async () => {
    const t = await started();
    const first = await scheduler.ensureJob({ id: 'i', schedule: every('10m') });
    await t.clock.advance(3 * 60_000);
    const again = await scheduler.ensureJob({ id: 'i', schedule: every('10m') });
    expect(again.version).toBe(1);
    expect(Date.parse(again.nextFireAt ?? '') - Date.parse(first.createdAt)).toBe(10 * 60_000);
  });

  it('submitJob rejects a taken id with CHIME_ERR_JOB_EXISTS and changes nothing', async () => {
    await started();
    await scheduler.submitJob({ id: 'once', schedule: cron('0 3 * * *'), payload: 1 });
    await expect(
      scheduler.submitJob({ id: 'once', schedule: cron('0 4 * * *'), payload: 2 }),
    ).rejects.toMatchObject({
      code: 'CHIME_ERR_JOB_EXISTS',
      path: '/id',
    });
    expect((await scheduler.getJob('once'))?.payload).toBe(1);
  });

  it('generates an id when none is given', async () => {
    await started();
    const job = await scheduler.submitJob({ schedule: cron('0 3 * * *') });
    expect(job.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('getJob returns null and removeJob false for an unknown id; removeJob deletes a job and its executions', async () => {
    const t = await started();
    expect(await scheduler.getJob('nope')).toBeNull();
    expect(await scheduler.removeJob('nope')).toBe(false);
    await scheduler.ensureJob({ id: 'gone', schedule: once(new Date(t.clock.now() + 100)) });
    const done = waitFor(scheduler, 'execution:succeeded');
    await t.clock.advance(200);
    await done;
    expect(await scheduler.removeJob('gone')).toBe(true);
    expect(await scheduler.getJob('gone')).toBeNull();
    expect((await scheduler.listExecutions({ jobId: 'gone' })).items).toEqual([]);
  });

  it('lists jobs by metadata and paused, a page at a time', async () => {
    await started();
    for (let i = 0; i < 5; i++) {
      await scheduler.ensureJob({
        id: `job-${i}`,
        schedule: cron('0 3 * * *'),
        metadata: { team: i % 2 ? 'odd' : 'even', kind: 'r' },
      });
    }
    await scheduler.pauseJob('job-4');
    const even = await scheduler.listJobs({ metadata: { team: 'even', kind: 'r' } });
    expect(even.items.map((j) => j.id)).toEqual(['job-0', 'job-2', 'job-4']);
    expect((await scheduler.listJobs({ paused: true })).items.map((j) => j.id)).toEqual(['job-4']);
    const page1 = await scheduler.listJobs({ limit: 2 });
    const page2 = await scheduler.listJobs({ limit: 2, cursor: page1.nextCursor ?? '' });
    const page3 = await scheduler.listJobs({ limit: 2, cursor: page2.nextCursor ?? '' });
    expect([...page1.items, ...page2.items, ...page3.items].map((j) => j.id)).toEqual([
      'job-0',
      'job-1',
      'job-2',
      'job-3',
      'job-4',
    ]);
    expect(page3.nextCursor).toBeNull();
    await expect(scheduler.listJobs({ cursor: 'garbage' })).rejects.toMatchObject({
      code: 'CHIME_ERR_CURSOR_INVALID',
    });
  });

  it('a paused job does not fire; resumed, it fires from now on; ensureJob leaves paused alone', async () => {
    const t = await started();
    await scheduler.ensureJob({
      id: 'p',
      schedule: every('1s', { startAt: new Date(t.clock.now() + 500) }),
    });
    const paused = await scheduler.pauseJob('p');
    expect(paused).toMatchObject({ paused: true, nextFireAt: null, version: 2 });
    let fired = 0;
    scheduler.on('execution:started', () => fired++);
    await t.clock.advance(5_000);
    expect(fired).toBe(0);
    expect(
      (
        await scheduler.ensureJob({
          id: 'p',
          schedule: every('1s', { startAt: new Date(t.clock.now() - 4_500) }),
        })
      ).paused,
    ).toBe(true);
    const resumed = await scheduler.resumeJob('p');
    expect(resumed.paused).toBe(false);
    const done = waitFor(scheduler, 'execution:succeeded');
    await t.clock.advance(1_000);
    await done;
    expect(fired).toBe(1);
    await expect(scheduler.pauseJob('missing')).rejects.toMatchObject({
      code: 'CHIME_ERR_JOB_NOT_FOUND',
    });
  });

  it('triggerJob runs the job now with a payload override and returns the execution', async () => {
    const t = await started();
    const payloads: unknown[] = [];
    scheduler.setHandler((ctx) => void payloads.push(ctx.payload));
    await scheduler.ensureJob({ id: 't', schedule: cron('0 3 * * *'), payload: { from: 'job' } });
    const done = waitFor(scheduler, 'execution:succeeded');
    const execution = await scheduler.triggerJob('t', { payload: { from: 'trigger' } });
    expect(execution).toMatchObject({ jobId: 't', trigger: 'manual', status: 'scheduled' });
    await t.clock.advance(10);
    expect((await done).executionId).toBe(execution.id);
    expect(payloads).toEqual([{ from: 'trigger' }]);
    await expect(scheduler.triggerJob('none')).rejects.toMatchObject({
      code: 'CHIME_ERR_JOB_NOT_FOUND',
    });
  });

  it('lists executions newest first with status filter and cursor', async () => {
    const t = await started();
    await scheduler.ensureJob({
      id: 'e',
      schedule: every('1s', { startAt: new Date(t.clock.now() + 100) }),
    });
    for (let i = 0; i < 6; i++) await t.clock.advance(1_000);
    await scheduler.pauseJob('e');
    const all = (await scheduler.listExecutions({ jobId: 'e', status: 'succeeded' })).items;
    expect(all.length).toBeGreaterThanOrEqual(5);
    const fireAts = all.map((e) => Date.parse(e.fireAt));
    expect([...fireAts].sort((a, b) => b - a)).toEqual(fireAts);
    const first = await scheduler.listExecutions({ jobId: 'e', status: 'succeeded', limit: 2 });
    const next = await scheduler.listExecutions({
      jobId: 'e',
      status: 'succeeded',
      limit: 2,
      cursor: first.nextCursor ?? '',
    });
    expect([...first.items, ...next.items].map((e) => e.id)).toEqual(
      all.slice(0, 4).map((e) => e.id),
    );
  });

  it('queues calls made before start() and applies them at start', async () => {
    const t = testScheduler();
    scheduler = t.scheduler;
    scheduler.setHandler(() => undefined);
    const pending = scheduler.ensureJob({ id: 'early', schedule: cron('0 3 * * *') });
    let settled = false;
    void pending.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);
    await scheduler.start();
    expect((await pending).id).toBe('early');
  });

  it('rejects calls after stop() with CHIME_ERR_SCHEDULER_STOPPED', async () => {
    await started();
    await scheduler.stop();
    await expect(scheduler.getJob('x')).rejects.toMatchObject({
      code: 'CHIME_ERR_SCHEDULER_STOPPED',
    });
  });

  it('previews fire times in UTC and local time', async () => {
    await started();
    const fires = scheduler.nextFireTimes(cron('30 2 * * *', { tz: 'Europe/Berlin' }), {
      count: 2,
      from: '2026-03-28T12:00:00Z',
    });
    expect(fires.map((f) => f.utc)).toEqual([
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
    expect(fires[0]?.dstShifted).toBe(true);
  });
});
