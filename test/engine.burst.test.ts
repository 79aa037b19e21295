/**
 * A burst of fires due at one instant: every start is written before the
 * instant (a slot is free for each), so at the instant the targets are called
 * straight from memory, all of them at that instant. A burst larger than the
 * slots starts the rest as slots free up, unless the instance has measured
 * its attempts quick enough for the slots to reach them all within a second.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { once, type Scheduler } from '../src/index.js';
import { testScheduler } from './helpers/scheduler.js';

/** Executions of the scheduler with `status`, counted a page at a time. */
async function countExecutions(scheduler: Scheduler, status: 'running'): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await scheduler.listExecutions({ status, limit: 1000, cursor });
    count += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return count;
}

/** Submits `count` one-shot jobs due at `at`, named `<name><i>`. */
async function oneShots(scheduler: Scheduler, name: string, count: number, at: number) {
  await scheduler.submitJobs(
    Array.from({ length: count }, (_, i) => ({ id: `${name}${i}`, schedule: once(new Date(at)) })),
  );
}

describe('a burst due at one instant', () => {
  let scheduler: Scheduler | undefined;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  it('writes every start before the instant and calls every target at it', async () => {
    const BURST = 2_000;
    const t = testScheduler({ concurrency: BURST, prefetch: BURST });
    scheduler = t.scheduler;
    const calledAt: number[] = [];
    scheduler.setHandler(() => void calledAt.push(t.clock.now()));
    await scheduler.start();
    const at = t.clock.now() + 3_000;
    await scheduler.submitJobs(
      Array.from({ length: BURST }, (_, i) => ({ id: `b${i}`, schedule: once(new Date(at)) })),
    );
    await t.clock.advance(at - 1 - t.clock.now());

    expect(calledAt).toEqual([]);
    expect(await countExecutions(scheduler, 'running')).toBe(BURST);
    await t.clock.advance(1);
    while (calledAt.length < BURST) await t.clock.advance(0);
    expect(new Set(calledAt)).toEqual(new Set([at]));
  });

  it('starts what does not fit in the slots as they free up, and runs every fire once', async () => {
    const t = testScheduler({ concurrency: 50, prefetch: 500 });
    scheduler = t.scheduler;
    const calls = new Map<string, number>();
    scheduler.setHandler((ctx) => void calls.set(ctx.job.id, (calls.get(ctx.job.id) ?? 0) + 1));
    await scheduler.start();
    const at = t.clock.now() + 3_000;
    await scheduler.submitJobs(
      Array.from({ length: 500 }, (_, i) => ({ id: `b${i}`, schedule: once(new Date(at)) })),
    );
    await t.clock.advance(at - 1 - t.clock.now());

    expect(await countExecutions(scheduler, 'running')).toBe(50);
    for (let i = 0; i < 100 && calls.size < 500; i++) await t.clock.advance(10);
    expect(calls.size).toBe(500);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
  });

  it('once its attempts are measured quick, starts a burst far beyond its slots and its recent rate whole before the instant', async () => {
    const t = testScheduler({ concurrency: 5, prefetch: 1_000 });
    scheduler = t.scheduler;
    const calledAt: number[] = [];
    scheduler.setHandler(() => void calledAt.push(t.clock.now()));
    await scheduler.start();
    // A few quick attempts, then quiet seconds: the rate of finished attempts is low.
    const warm = t.clock.now() + 3_000;
    await oneShots(scheduler, 'w', 10, warm);
    const at = warm + 5_000;
    await oneShots(scheduler, 'b', 300, at);
    await t.clock.advance(at - 1 - t.clock.now());

    expect(calledAt.filter((ms) => ms === at)).toEqual([]);
    expect(await countExecutions(scheduler, 'running')).toBe(300);
    await t.clock.advance(1);
    while (calledAt.length < 310) await t.clock.advance(0);
    expect(calledAt.slice(10).every((ms) => ms === at)).toBe(true);
  });

  it('with slow attempts, starts beyond its slots only what they reach within a second', async () => {
    const concurrency = 5;
    const t = testScheduler({ concurrency, prefetch: 1_000 });
    scheduler = t.scheduler;
    scheduler.setHandler(() => new Promise<void>((resolve) => t.clock.setTimeout(resolve, 2_000)));
    await scheduler.start();
    const warm = t.clock.now() + 3_000;
    await oneShots(scheduler, 'w', concurrency, warm);
    const at = warm + 5_000;
    await oneShots(scheduler, 'b', 50, at);
    await t.clock.advance(at - 1 - t.clock.now());

    // Attempts of 2 s on 5 slots: a slot frees every 400 ms, so 2 more than the slots are
    // reached within a second.
    expect(await countExecutions(scheduler, 'running')).toBe(concurrency + 2);
  });
});
