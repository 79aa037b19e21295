/**
 * Started executions and slots, when fast and slow attempts mix: an instance
 * that has been finishing attempts quickly starts executions ahead, beyond
 * its slots; when slow attempts then hold every slot, what finishes still has
 * its outcome written at once, and once a started execution has waited for a
 * slot longer than a second, nothing more is started ahead of the slots.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStore, once, type Scheduler } from '../src/index.js';
import { testScheduler } from './helpers/scheduler.js';

describe('slots with fast and slow attempts mixed', () => {
  let scheduler: Scheduler | undefined;
  let releaseSlow: () => void = () => undefined;
  afterEach(async () => {
    releaseSlow();
    await scheduler?.stop({ timeoutMs: 0 });
  });

  it('writes outcomes at once while slow attempts hold the slots, and stops starting ahead once a start waited too long', async () => {
    const store = memoryStore();
    const t = testScheduler({ store, concurrency: 2, prefetch: 1_000 });
    scheduler = t.scheduler;
    const slow = new Promise<void>((resolve) => (releaseSlow = resolve));
    scheduler.handle('fast', () => undefined);
    scheduler.handle('slow', () => slow);
    scheduler.handle(
      'brief',
      () => new Promise<void>((resolve) => t.clock.setTimeout(resolve, 100)),
    );
    await scheduler.start();
    const t1 = t.clock.now() + 3_000;
    const oneShots = (name: string, count: number, at: number) =>
      scheduler?.submitJobs(
        Array.from({ length: count }, (_, i) => ({
          id: `${name}-${at}-${i}`,
          schedule: once(new Date(at)),
          target: { type: 'handler' as const, name },
        })),
      );
    // Warm-up: 300 quick attempts in the first second teach the instance its rate.
    await oneShots('fast', 300, t1);
    // Then one brief attempt, and right after it six that hold their slot until released.
    const t2 = t1 + 1_500;
    await oneShots('brief', 1, t2);
    await oneShots('slow', 6, t2 + 10);
    await t.clock.advance(t2 + 200 - t.clock.now());

    const status = async (name: string) =>
      (await store.executionsList({ limit: 1_000 }))
        .filter((e) => e.jobId.startsWith(`${name}-`))
        .map((e) => e.status);
    // The brief one ran in a slot and ended: its outcome is written although started
    // executions still wait for the slots the slow ones hold.
    expect(await status('brief')).toEqual(['succeeded']);
    const waiting = (await status('slow')).filter((s) => s === 'running').length;
    expect(waiting).toBeGreaterThan(2); // started ahead, beyond the two slots

    // More work comes after the started ones waited over a second: it is not started.
    await t.clock.advance(1_200);
    const t3 = t.clock.now() + 300;
    await oneShots('slow', 4, t3);
    await t.clock.advance(600);
    const later = (await store.executionsList({ limit: 1_000 })).filter((e) =>
      e.jobId.startsWith(`slow-${t3}-`),
    );
    expect(later.map((e) => e.status)).toEqual([
      'scheduled',
      'scheduled',
      'scheduled',
      'scheduled',
    ]);
  });
});
