/**
 * Sharing a burst between instances (regression of the review of commit
 * 4d81d5b): an instance whose handlers are slow holds at most 2 × concurrency
 * executions (the adaptive prefetch's floor), so the one that plans a burst
 * first does not lease all of it while another idles.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { every, memoryStore, TestClock, type Scheduler } from '../src/index.js';
import { testScheduler } from './helpers/scheduler.js';

describe('a burst shared by two instances', () => {
  const schedulers: Scheduler[] = [];
  afterEach(async () => {
    for (const s of schedulers.splice(0)) await s.stop({ timeoutMs: 0 });
  });

  it('runs 200 fires due together on both instances of concurrency 10, each fire once', async () => {
    const store = memoryStore();
    const clock = new TestClock(Date.parse('2026-03-02T10:00:00Z'));
    const t0 = clock.now();
    const dueAt = t0 + 5_000;
    const concurrency = 10;
    const instances = ['A', 'B'].map(
      (instanceId) => testScheduler({ store, clock, concurrency, instanceId }).scheduler,
    );
    schedulers.push(...instances);
    const runsBy = new Map<string, number>();
    const firedJobs: string[] = [];
    let lastFinished = 0;
    let maxHeld = 0;
    for (const s of instances) {
      s.handle('h', async (ctx) => {
        runsBy.set(s.instanceId, (runsBy.get(s.instanceId) ?? 0) + 1);
        firedJobs.push(ctx.job.id);
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 1_000)); // a second of work
        lastFinished = clock.now();
      });
      await s.start();
    }
    for (let i = 0; i < 200; i++) {
      await instances[0]?.ensureJob({
        id: `j${i}`,
        schedule: every('1d', { startAt: new Date(dueAt) }),
        target: { type: 'handler', name: 'h' },
      });
    }
    for (let spent = 0; spent < 60_000; spent += 250) {
      await clock.advance(250);
      for (const s of instances) maxHeld = Math.max(maxHeld, s.status().held);
    }

    expect(firedJobs).toHaveLength(200);
    expect(new Set(firedJobs).size).toBe(200); // every fire ran exactly once
    const a = runsBy.get('A') ?? 0;
    const b = runsBy.get('B') ?? 0;
    expect(a + b).toBe(200);
    // Both take a real share (a fifth at least), not 200 and 0.
    expect(Math.min(a, b)).toBeGreaterThanOrEqual(40);
    expect(maxHeld).toBeLessThanOrEqual(2 * concurrency);
    // 20 slots in all: ten waves of one second, not twenty.
    expect(lastFinished - dueAt).toBeLessThanOrEqual(12_000);
  });
});
