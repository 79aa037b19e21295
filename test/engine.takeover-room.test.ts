/**
 * A dead instance's work that may have run is taken over as room frees up,
 * not a reaper's period later: an instance whose room is smaller than the
 * dead one's share takes what it can at once, then more as attempts end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStore, once, TestClock, type Scheduler } from '../src/index.js';
import { stopOnTestClock, testScheduler } from './helpers/scheduler.js';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const FIRES = 12;

describe('taking over a dead instance’s work with little room', () => {
  const schedulers: { scheduler: Scheduler; clock: TestClock }[] = [];
  afterEach(async () => {
    for (const { scheduler, clock } of schedulers.splice(0))
      await stopOnTestClock(scheduler, clock);
  });

  it('runs all of it within a second or so, as its room frees up', async () => {
    const store = memoryStore();
    // A claims twelve fires due at +1 s, runs them (or not: it is never heard of again).
    const a = testScheduler({
      store,
      clock: new TestClock(T0),
      instanceId: 'A',
      concurrency: FIRES,
      prefetch: FIRES,
    });
    a.scheduler.handle('h', () => new Promise<never>(() => undefined));
    await a.scheduler.start();
    for (let i = 0; i < FIRES; i++) {
      await a.scheduler.ensureJob({
        id: `j${i}`,
        schedule: once(new Date(T0 + 1_000)),
        target: { type: 'handler', name: 'h' },
      });
    }
    await a.clock.advance(1_000);

    // B, with room for two at a time, comes 15 s later: A is dead, its fires may have run.
    const b = testScheduler({
      store,
      clock: new TestClock(T0 + 15_000),
      instanceId: 'B',
      concurrency: 2,
      prefetch: 2,
    });
    schedulers.push(b);
    const ran: { job: string; at: number; attempt: number }[] = [];
    b.scheduler.handle('h', async (ctx) => {
      ran.push({ job: ctx.job.id, at: b.clock.now() - (T0 + 15_000), attempt: ctx.attempt });
      await new Promise<void>((resolve) => b.clock.setTimeout(resolve, 50));
    });
    await b.scheduler.start();
    for (let i = 0; i < 100 && ran.length < FIRES; i++) await b.clock.advance(50);

    // B's first sign of life (at +2 s) declares A dead. Every fire runs once more (attempt 2,
    // after the one A may have made), all within a second of that — not a reaper's period
    // (a third of a lease, 10 s) later for what did not fit at first.
    expect(ran.map((r) => r.job).sort()).toEqual(
      Array.from({ length: FIRES }, (_, i) => `j${i}`).sort(),
    );
    expect(ran.every((r) => r.attempt === 2)).toBe(true);
    expect(Math.min(...ran.map((r) => r.at))).toBeGreaterThanOrEqual(2_000);
    expect(Math.max(...ran.map((r) => r.at))).toBeLessThan(3_000);
  });
});
