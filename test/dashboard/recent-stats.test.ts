/**
 * Lag and throughput of the last minutes: counts per 10-second bucket,
 * quantiles within 2% of the exact ones, old buckets forgotten.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { every, type Scheduler } from '../../src/index.js';
import { BUCKET_MS, RecentStats } from '../../src/service/recent-stats.js';
import { waitFor } from '../helpers/events.js';
import { testScheduler } from '../helpers/scheduler.js';

/** A scheduler whose events can be played: the stats listen to its emitter through `on`. */
function fakeScheduler() {
  const listeners = new Map<string, ((payload: unknown) => void)[]>();
  const scheduler = {
    on(event: string, listener: (payload: unknown) => void) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      return () => undefined;
    },
  } as unknown as Scheduler;
  const emit = (event: string, payload: unknown) =>
    listeners.get(event)?.forEach((listener) => listener(payload));
  return { scheduler, emit };
}

const base = { executionId: 'e', jobId: 'j' };

describe('RecentStats', () => {
  it('answers p50, p99 and max within 2% of the exact quantiles, and counts outcomes per bucket', () => {
    let now = Date.parse('2026-03-02T10:00:00Z');
    const stats = new RecentStats(() => now);
    const { scheduler, emit } = fakeScheduler();
    stats.observe(scheduler);
    const lags: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const lag = i < 990 ? (i % 100) + 1 : 1000 + i; // 1..100 ms, then a tail of ten ~2 s
      lags.push(lag);
      const fireAt = new Date(now - lag);
      emit('execution:started', { ...base, fireAt, attempt: 1, startedAt: new Date(now) });
      // Retries start long after their fire instant: they are not fire lag.
      emit('execution:started', { ...base, fireAt, attempt: 2, startedAt: new Date(now + 60_000) });
      emit(i % 10 === 0 ? 'execution:dead' : 'execution:succeeded', { ...base, fireAt });
      if (i % 250 === 249) now += BUCKET_MS;
    }
    emit('fire:missed', { ...base, fireAt: new Date(now), lateByMs: 1 });
    const summary = stats.summary(5 * 60_000);
    const sorted = [...lags].sort((a, b) => a - b);
    const exact = (q: number) => sorted[Math.ceil(q * sorted.length) - 1] ?? 0;
    expect(summary.total.lag.count).toBe(1000);
    expect(summary.total.started).toBe(1000);
    for (const [got, want] of [
      [summary.total.lag.p50, exact(0.5)],
      [summary.total.lag.p99, exact(0.99)],
      [summary.total.lag.max, exact(1)],
    ] as const) {
      expect(Math.abs((got ?? 0) - want) / want).toBeLessThanOrEqual(0.02);
    }
    expect(summary.total).toMatchObject({ succeeded: 900, failed: 100, missed: 1, skipped: 0 });
    const busy = summary.buckets.filter((b) => b.started > 0).map((b) => b.started);
    expect(busy).toEqual([250, 250, 250, 250]);
    expect(summary.buckets).toHaveLength(30);
    expect(summary.throughputPerMinute).toBeGreaterThan(0);
  });

  it('forgets what is older than 15 minutes, and a window shows only its own buckets', () => {
    let now = Date.parse('2026-03-02T10:00:00Z');
    const stats = new RecentStats(() => now);
    const { scheduler, emit } = fakeScheduler();
    stats.observe(scheduler);
    emit('execution:succeeded', { ...base, fireAt: new Date(now) });
    now += 2 * 60_000;
    emit('execution:succeeded', { ...base, fireAt: new Date(now) });
    expect(stats.summary(60_000).total.succeeded).toBe(1);
    expect(stats.summary(15 * 60_000).total.succeeded).toBe(2);
    now += 16 * 60_000;
    expect(stats.summary(15 * 60_000).total.succeeded).toBe(0);
    expect(stats.summary(15 * 60_000).total.lag).toEqual({
      p50: null,
      p99: null,
      max: null,
      count: 0,
    });
  });
});

describe('RecentStats on a real scheduler', () => {
  let scheduler: Scheduler;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  it('sees the fires and outcomes of the scheduler it observes', async () => {
    const t = testScheduler();
    scheduler = t.scheduler;
    scheduler.setHandler(() => undefined);
    const stats = new RecentStats(() => t.clock.now());
    stats.observe(scheduler);
    await scheduler.start();
    await scheduler.ensureJob({ id: 'tick', schedule: every('1s') });
    for (let i = 0; i < 3; i++) {
      const done = waitFor(scheduler, 'execution:succeeded');
      await t.clock.advance(1000);
      await done;
    }
    const summary = stats.summary(60_000);
    expect(summary.total.succeeded).toBeGreaterThanOrEqual(3);
    expect(summary.total.lag.count).toBeGreaterThanOrEqual(3);
  });
});
