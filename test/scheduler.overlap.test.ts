import { afterEach, describe, expect, it } from 'vitest';
import { every, type Scheduler } from '../src/index.js';
import { collect, waitFor } from './helpers/events.js';
import { testScheduler } from './helpers/scheduler.js';

describe('overlap policy', () => {
  let scheduler: Scheduler;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  async function run(overlap: 'allow' | 'forbid') {
    const t = testScheduler();
    scheduler = t.scheduler;
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const starts: number[] = [];
    scheduler.setHandler(async (ctx) => {
      starts.push(ctx.fireAt.getTime());
      if (starts.length === 1) await blocked;
    });
    const skipped = collect(scheduler, 'fire:skipped');
    await scheduler.start();
    const anchor = t.clock.now() + 100;
    await scheduler.ensureJob({
      id: 'long',
      schedule: every('1s', { startAt: new Date(anchor) }),
      overlap,
    });
    await t.clock.advance(100); // first fire starts and blocks
    await t.clock.advance(2_000); // fires at +1s and +2s come while it runs
    const done = waitFor(scheduler, 'execution:succeeded', (e) => e.fireAt.getTime() === anchor);
    release();
    await done;
    await t.clock.advance(1_000); // +3s: the first execution is over
    const executions = (await scheduler.listExecutions({ jobId: 'long' })).items;
    return {
      starts: starts.map((s) => s - anchor),
      skipped: skipped.map((s) => s.fireAt.getTime() - anchor),
      executions,
      anchor,
    };
  }

  it('forbid records fires that come while an earlier execution runs as skipped', async () => {
    const r = await run('forbid');
    expect(r.starts).toEqual([0, 3_000]);
    expect(r.skipped).toEqual([1_000, 2_000]);
    const statusAt = (ms: number) =>
      r.executions.find((e) => Date.parse(e.fireAt) === r.anchor + ms)?.status;
    expect([statusAt(1_000), statusAt(2_000)]).toEqual(['skipped', 'skipped']);
  });

  it('allow runs them side by side', async () => {
    const r = await run('allow');
    expect(r.starts).toEqual([0, 1_000, 2_000, 3_000]);
    expect(r.skipped).toEqual([]);
  });

  it('forbid runs every fire of a job whose run ends before its next instant, even within the start lead', async () => {
    const t = testScheduler();
    scheduler = t.scheduler;
    const starts: number[] = [];
    // Each run takes 900 ms of a 1 s period: the next fire's start lead (250 ms) begins
    // while it still runs, its instant comes after it ended.
    scheduler.setHandler(async (ctx) => {
      starts.push(ctx.fireAt.getTime());
      await new Promise<void>((resolve) => t.clock.setTimeout(resolve, 900));
    });
    const skipped = collect(scheduler, 'fire:skipped');
    await scheduler.start();
    const anchor = t.clock.now() + 100;
    await scheduler.ensureJob({
      id: 'long',
      schedule: every('1s', { startAt: new Date(anchor) }),
      overlap: 'forbid',
    });
    for (let i = 0; i < 60; i++) await t.clock.advance(100);
    expect(skipped).toEqual([]);
    expect(starts.map((s) => s - anchor)).toEqual([0, 1_000, 2_000, 3_000, 4_000, 5_000]);
  });
});
