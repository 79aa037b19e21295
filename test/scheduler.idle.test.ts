import { afterEach, describe, expect, it } from 'vitest';
import { cron, memoryStore, once, type Scheduler } from '../src/index.js';
import { countingStore } from './helpers/counting-store.js';
import { waitFor } from './helpers/events.js';
import { testScheduler } from './helpers/scheduler.js';

describe('an idle instance', () => {
  let scheduler: Scheduler;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  it('makes one cheap query per poll interval when nothing is due soon', async () => {
    const counting = countingStore(memoryStore());
    const t = testScheduler({ store: counting.store, pollIntervalMs: 10_000 });
    scheduler = t.scheduler;
    await scheduler.start();
    await scheduler.ensureJob({ id: 'monthly', schedule: cron('0 0 1 * *') });
    await t.clock.advance(1_000);
    counting.calls.clear();
    await t.clock.advance(60_000);
    const calls = Object.fromEntries(counting.calls);
    // one look for due work per poll, a sign of life every heartbeat (2 s), the reaper's look
    // for expired leases every leaseMs / 3, and a maintenance pass (pruning, staleness) every 30 s
    expect(calls).toEqual({
      nextDueAt: 6,
      instanceBeat: 30,
      executionsTakeOver: 6,
      jobsToPrune: 2,
      jobsStale: 2,
    });
  });

  it('stays within about one store request a second with the default intervals, its sign of life included', async () => {
    const counting = countingStore(memoryStore());
    const t = testScheduler({ store: counting.store });
    scheduler = t.scheduler;
    await scheduler.start();
    await scheduler.ensureJob({ id: 'monthly', schedule: cron('0 0 1 * *') });
    await t.clock.advance(1_000);
    counting.calls.clear();
    await t.clock.advance(60_000);
    const total = [...counting.calls.values()].reduce((sum, n) => sum + n, 0);
    expect(counting.calls.get('instanceBeat')).toBe(30);
    expect(total / 60).toBeLessThanOrEqual(1.2);
  });

  it('wakes when the next fire enters the horizon, however long the poll interval', async () => {
    const t = testScheduler({ pollIntervalMs: 60_000, horizonMs: 1_000 });
    scheduler = t.scheduler;
    scheduler.setHandler(() => undefined);
    await scheduler.start();
    const fireAt = t.clock.now() + 20_000;
    await scheduler.ensureJob({ id: 'later', schedule: once(new Date(fireAt)) });
    const started = waitFor(scheduler, 'execution:started');
    await t.clock.advance(20_000);
    expect((await started).startedAt.getTime()).toBe(fireAt);
  });
});
