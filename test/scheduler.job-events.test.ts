import { afterEach, describe, expect, it } from 'vitest';
import { cron, every, type Scheduler } from '../src/index.js';
import { collect } from './helpers/events.js';
import { testScheduler } from './helpers/scheduler.js';

describe('job events and due jobs', () => {
  let scheduler: Scheduler;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  async function started() {
    const t = testScheduler();
    scheduler = t.scheduler;
    scheduler.setHandler(() => undefined);
    await scheduler.start();
    return t;
  }

  it('announces created, changed (update, pause, resume) and removed jobs, and nothing for a no-op', async () => {
    await started();
    const created = collect(scheduler, 'job:created');
    const changed = collect(scheduler, 'job:changed');
    const removed = collect(scheduler, 'job:removed');

    await scheduler.ensureJob({ id: 'a', schedule: cron('0 3 * * *') });
    await scheduler.ensureJob({ id: 'a', schedule: cron('0 3 * * *') });
    await scheduler.ensureJob({ id: 'a', schedule: cron('0 4 * * *') });
    await scheduler.pauseJob('a');
    await scheduler.pauseJob('a');
    await scheduler.resumeJob('a');
    await scheduler.submitJobs([
      { id: 'b', schedule: every('1h') },
      { id: 'c', schedule: every('2h') },
    ]);
    expect(await scheduler.removeJob('b')).toBe(true);
    expect(await scheduler.removeJob('b')).toBe(false);

    expect(created).toEqual([
      { jobId: 'a', version: 1 },
      { jobId: 'b', version: 1 },
      { jobId: 'c', version: 1 },
    ]);
    expect(changed).toEqual([
      { jobId: 'a', version: 2, paused: false },
      { jobId: 'a', version: 3, paused: true },
      { jobId: 'a', version: 4, paused: false },
    ]);
    expect(removed).toEqual([{ jobId: 'b' }]);
  });

  it('announces a manual trigger with its execution', async () => {
    const { clock } = await started();
    const triggered = collect(scheduler, 'execution:triggered');
    await scheduler.ensureJob({ id: 't', schedule: cron('0 3 * * *') });
    const execution = await scheduler.triggerJob('t');
    expect(triggered).toEqual([
      { executionId: execution.id, jobId: 't', fireAt: new Date(clock.now()) },
    ]);
  });

  it('listDueJobs answers the unpaused jobs due by an instant, soonest first, bounded', async () => {
    const { clock } = await started();
    const now = clock.now();
    await scheduler.ensureJobs([
      { id: 'in-3h', schedule: every('3h', { startAt: new Date(now + 3 * 3600_000) }) },
      { id: 'in-1h', schedule: every('1h', { startAt: new Date(now + 3600_000) }) },
      { id: 'in-2h-paused', schedule: every('2h', { startAt: new Date(now + 7200_000) }) },
      { id: 'in-30h', schedule: every('30h', { startAt: new Date(now + 30 * 3600_000) }) },
    ]);
    await scheduler.pauseJob('in-2h-paused');

    const due = await scheduler.listDueJobs({ until: now + 24 * 3600_000 });
    expect(due.map((job) => job.id)).toEqual(['in-1h', 'in-3h']);
    const first = await scheduler.listDueJobs({ until: new Date(now + 24 * 3600_000), limit: 1 });
    expect(first.map((job) => job.id)).toEqual(['in-1h']);
    await expect(scheduler.listDueJobs({ until: now, limit: 0 })).rejects.toMatchObject({
      code: 'CHIME_ERR_INVALID_INPUT',
      path: '/limit',
    });
    await expect(scheduler.listDueJobs({ until: Number.NaN })).rejects.toMatchObject({
      code: 'CHIME_ERR_DATE_INVALID',
      path: '/until',
    });
  });
});
