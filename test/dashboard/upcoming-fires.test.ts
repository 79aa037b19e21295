/**
 * The fires of many jobs within a window, as the overview's timeline reads
 * them: merged soonest first, bounded in all and per job, computed with the
 * scheduler's own schedule code (its planned nextFireAt agrees).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cron, every, once, type Scheduler } from '../../src/index.js';
import { upcomingFires } from '../../src/service/upcoming-fires.js';
import { testScheduler } from '../helpers/scheduler.js';

const HOUR = 3_600_000;

describe('upcomingFires', () => {
  let scheduler: Scheduler;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  async function started() {
    const t = testScheduler();
    scheduler = t.scheduler;
    scheduler.setHandler(() => undefined);
    await scheduler.start();
    return t.clock.now();
  }

  it('merges the jobs fires soonest first within the window, the same instants the scheduler plans', async () => {
    const now = await started(); // 2026-03-02T10:00:00Z
    await scheduler.ensureJobs([
      { id: 'hourly', schedule: cron('0 * * * *') },
      { id: 'berlin', schedule: cron('30 11 * * *', { tz: 'Europe/Berlin' }) },
      { id: 'every-5h', schedule: every('5h') },
      { id: 'once', schedule: once(new Date(now + 90 * 60_000)) },
      { id: 'later', schedule: once(new Date(now + 30 * HOUR)) },
    ]);
    const until = now + 6 * HOUR;
    const jobs = await scheduler.listDueJobs({ until });
    const { items, truncated } = upcomingFires(jobs, { from: now, until, limit: 100 });
    expect(truncated).toBe(false);
    expect(items).toEqual([
      // A fire at the very instant counts (as the scheduler's first fire does); ties by id.
      { jobId: 'every-5h', at: '2026-03-02T10:00:00.000Z' },
      { jobId: 'hourly', at: '2026-03-02T10:00:00.000Z' },
      // 11:30 in Berlin (CET) is 10:30 UTC.
      { jobId: 'berlin', at: '2026-03-02T10:30:00.000Z' },
      { jobId: 'hourly', at: '2026-03-02T11:00:00.000Z' },
      { jobId: 'once', at: '2026-03-02T11:30:00.000Z' },
      { jobId: 'hourly', at: '2026-03-02T12:00:00.000Z' },
      { jobId: 'hourly', at: '2026-03-02T13:00:00.000Z' },
      { jobId: 'hourly', at: '2026-03-02T14:00:00.000Z' },
      { jobId: 'every-5h', at: '2026-03-02T15:00:00.000Z' },
      { jobId: 'hourly', at: '2026-03-02T15:00:00.000Z' },
      { jobId: 'hourly', at: '2026-03-02T16:00:00.000Z' },
    ]);
    // Each job's first fire is the one the scheduler planned.
    for (const job of jobs) {
      expect(items.find((item) => item.jobId === job.id)?.at).toBe(job.nextFireAt);
    }
    // Berlin's next 11:30 is 24.5 h away: a 24 h window holds one.
    const day = upcomingFires(await scheduler.listDueJobs({ until: now + 24 * HOUR }), {
      from: now,
      until: now + 24 * HOUR,
      limit: 100,
    });
    expect(day.items.filter((i) => i.jobId === 'berlin')).toEqual([
      { jobId: 'berlin', at: '2026-03-02T10:30:00.000Z' },
    ]);
  });

  it('stops at limit (truncated) and at perJob for each job, so a frequent job cannot crowd out the rest', async () => {
    const now = await started();
    await scheduler.ensureJobs([
      { id: 'busy', schedule: every('1m') },
      { id: 'quiet', schedule: cron('0 1-23/2 * * *') },
    ]);
    const until = now + 12 * HOUR;
    const jobs = await scheduler.listDueJobs({ until });
    const first = upcomingFires(jobs, { from: now, until, limit: 50 });
    expect(first.truncated).toBe(true);
    expect(first.items).toHaveLength(50);
    expect(first.items.every((i) => i.jobId === 'busy')).toBe(true);

    const capped = upcomingFires(jobs, { from: now, until, limit: 50, perJob: 10 });
    expect(capped.items.filter((i) => i.jobId === 'busy')).toHaveLength(10);
    expect(capped.items.filter((i) => i.jobId === 'quiet').map((i) => i.at)).toEqual(
      [11, 13, 15, 17, 19, 21].map((h) => `2026-03-02T${h}:00:00.000Z`),
    );
    expect(capped.truncated).toBe(false);
    const sorted = [...capped.items].sort((a, b) => a.at.localeCompare(b.at));
    expect(capped.items).toEqual(sorted);
  });

  it('counts an interval job without startAt from its next fire (its hidden anchor), fires already planned included', async () => {
    const now = await started();
    const [job] = await scheduler.ensureJobs([{ id: 'iv', schedule: every('10m') }]);
    if (!job?.nextFireAt) throw new Error('no next fire');
    // As if the planner had already planned the next two fires.
    const advanced = { ...job, nextFireAt: new Date(now + 30 * 60_000).toISOString() };
    const { items } = upcomingFires([advanced], { from: now + 1, until: now + HOUR, limit: 100 });
    expect(items.map((i) => i.at)).toEqual(
      [10, 20, 30, 40, 50, 60].map((m) => new Date(now + m * 60_000).toISOString()),
    );
  });
});
