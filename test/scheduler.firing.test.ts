import { afterEach, describe, expect, it } from 'vitest';
import { every, cron, once, type Scheduler } from '../src/index.js';
import { collect, waitFor } from './helpers/events.js';
import { testScheduler } from './helpers/scheduler.js';

describe('firing on a TestClock', () => {
  let scheduler: Scheduler;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  it('fires an interval job at anchor + k·every, each fire once, with the fire instant in ctx', async () => {
    const t = testScheduler();
    scheduler = t.scheduler;
    const seen: { fireAt: number; now: number; attempt: number }[] = [];
    scheduler.handle('tick', (ctx) => {
      seen.push({ fireAt: ctx.fireAt.getTime(), now: t.clock.now(), attempt: ctx.attempt });
    });
    await scheduler.start();
    const anchor = t.clock.now() + 500;
    await scheduler.ensureJob({
      id: 'tick',
      schedule: every('1s', { startAt: new Date(anchor) }),
      target: { type: 'handler', name: 'tick' },
    });
    const done = waitFor(
      scheduler,
      'execution:succeeded',
      (e) => e.fireAt.getTime() === anchor + 3_000,
    );
    await t.clock.advance(3_600);
    await done;
    expect(seen.map((s) => s.fireAt - anchor)).toEqual([0, 1_000, 2_000, 3_000]);
    for (const s of seen) expect(s.now).toBe(s.fireAt);
    expect(seen.every((s) => s.attempt === 1)).toBe(true);
  });

  it('records each fire as a succeeded execution with its result', async () => {
    const t = testScheduler();
    scheduler = t.scheduler;
    scheduler.setHandler((ctx) => ({ echoed: ctx.payload }));
    await scheduler.start();
    await scheduler.ensureJob({
      id: 'echo',
      schedule: once(new Date(t.clock.now() + 200)),
      payload: { n: 1 },
    });
    const done = waitFor(scheduler, 'execution:succeeded');
    await t.clock.advance(300);
    const event = await done;
    const execution = await scheduler.getExecution(event.executionId);
    expect(execution).toMatchObject({
      jobId: 'echo',
      status: 'succeeded',
      attempt: 1,
      result: { echoed: { n: 1 } },
    });
    expect(execution?.attempts).toHaveLength(1);
    const job = await scheduler.getJob('echo');
    expect(job).toMatchObject({
      nextFireAt: null,
      lastOutcome: { status: 'succeeded', executionId: event.executionId },
    });
    expect(job?.completedAt).not.toBeNull();
  });

  it('never arms a timer beyond the horizon for a yearly schedule', async () => {
    const t = testScheduler({ horizonMs: 1_000, pollIntervalMs: 500 });
    scheduler = t.scheduler;
    const started = collect(scheduler, 'execution:started');
    scheduler.setHandler(() => undefined);
    await scheduler.start();
    await scheduler.ensureJob({ id: 'yearly', schedule: cron('0 0 1 1 *') });
    for (let i = 0; i < 20; i++) {
      await t.clock.advance(250);
      // the engine's own periodic timers (heartbeat, maintenance) are the longest; none aims at the fire
      expect(t.clock.armed.furthestMs).toBeLessThanOrEqual(30_000);
    }
    expect(started).toHaveLength(0);
    expect((await scheduler.getJob('yearly'))?.nextFireAt).toBe('2027-01-01T00:00:00.000Z');
  });
});
