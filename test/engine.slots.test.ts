/**
 * Slots with fast and slow attempts mixed: when slow attempts hold every
 * slot, what finishes still has its outcome written at once; the fires that
 * wait for a slot stay `scheduled`, and an attempt that runs past a second is
 * marked `running` in the store (one batched write), so a long job shows as
 * running to every reader while a quick one writes nothing before its outcome.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStore, once, type Scheduler } from '../src/index.js';
import { MARK_AFTER_MS } from '../src/engine/running-marks.js';
import { countingStore } from './helpers/counting-store.js';
import { testScheduler } from './helpers/scheduler.js';

describe('slots with fast and slow attempts mixed', () => {
  let scheduler: Scheduler | undefined;
  let releaseSlow: () => void = () => undefined;
  afterEach(async () => {
    releaseSlow();
    await scheduler?.stop({ timeoutMs: 0 });
  });

  it('writes outcomes at once while slow attempts hold the slots, and marks the long ones running after a second', async () => {
    const memory = memoryStore();
    const { store, calls } = countingStore(memory);
    const t = testScheduler({ store, concurrency: 3, prefetch: 1_000 });
    scheduler = t.scheduler;
    const slow = new Promise<void>((resolve) => (releaseSlow = resolve));
    scheduler.handle('slow', () => slow);
    scheduler.handle(
      'brief',
      () => new Promise<void>((resolve) => t.clock.setTimeout(resolve, 100)),
    );
    await scheduler.start();
    const oneShots = (name: string, count: number, at: number) =>
      scheduler?.submitJobs(
        Array.from({ length: count }, (_, i) => ({
          id: `${name}-${i}`,
          schedule: once(new Date(at)),
          target: { type: 'handler' as const, name },
        })),
      );
    const at = t.clock.now() + 3_000;
    await oneShots('brief', 1, at);
    await oneShots('slow', 6, at + 10);
    const status = async (name: string) =>
      (await memory.executionsList({ limit: 1_000 }))
        .filter((e) => e.jobId.startsWith(`${name}-`))
        .map((e) => e.status)
        .sort();
    await t.clock.advance(at + 200 - t.clock.now());

    // The brief one ran in a slot and ended: its outcome is written although fires wait
    // for the slots the slow ones hold. The two slow ones that run are unmarked for now.
    expect(await status('brief')).toEqual(['succeeded']);
    expect(await status('slow')).toEqual(Array(6).fill('scheduled'));
    expect(calls.get('executionsMarkRunning') ?? 0).toBe(0);

    // Past a second, the two that run since at + 10 are marked in one write; the one that took
    // the brief one's slot at at + 100 a little later; the three waiting are not.
    await t.clock.advance(at + 10 + MARK_AFTER_MS - t.clock.now());
    while ((calls.get('executionsMarkRunning') ?? 0) === 0) await t.clock.advance(0);
    expect(await status('slow')).toEqual([
      ...Array(2).fill('running'),
      ...Array(4).fill('scheduled'),
    ]);
    await t.clock.advance(at + 100 + MARK_AFTER_MS - t.clock.now());
    while ((calls.get('executionsMarkRunning') ?? 0) === 1) await t.clock.advance(0);
    const running = (await memory.executionsList({ limit: 1_000 })).filter(
      (e) => e.status === 'running',
    );
    expect(running.map((e) => [e.attempt, e.startedAt]).sort()).toEqual([
      [1, at + 10],
      [1, at + 10],
      [1, at + 100],
    ]);
    expect(calls.get('executionsMarkRunning')).toBe(2);
    expect(calls.get('executionsStart') ?? 0).toBe(0);
  });
});
