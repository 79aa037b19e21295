/**
 * One instance, many jobs on a one-second rhythm, more than its slots: every
 * job fires every second at its instant. Fires planned earlier are claimed
 * before new ones are planned; an instance that finishes attempts quickly
 * holds a horizon's fires ahead of the instant, beyond its slots; planning
 * never delays an instant's dispatch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { every, memoryStore, type Scheduler } from '../src/index.js';
import { intercept } from './helpers/intercept.js';
import { testScheduler } from './helpers/scheduler.js';

const JOBS = 200;
const CONCURRENCY = 5;

describe('many jobs on a one-second rhythm on one instance', () => {
  let scheduler: Scheduler | undefined;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  it('fires every job every second at its instant, holds them ahead beyond its slots, and plans after dispatching', async () => {
    const inner = memoryStore();
    // Each planning write: when, and how many fires of that very instant had run before it.
    const plans: { at: number; firedBefore: number }[] = [];
    const firedAt = new Map<number, number>();
    let clockNow = () => 0;
    const store = intercept(inner, {
      jobsAdvance: async (params) => {
        plans.push({ at: clockNow(), firedBefore: firedAt.get(clockNow()) ?? 0 });
        return inner.jobsAdvance(params);
      },
    });
    const t = testScheduler({ store, concurrency: CONCURRENCY });
    scheduler = t.scheduler;
    clockNow = () => t.clock.now();
    const lateness: number[] = [];
    const fires = new Map<string, number>();
    scheduler.setHandler((ctx) => {
      lateness.push(t.clock.now() - ctx.fireAt.getTime());
      firedAt.set(t.clock.now(), (firedAt.get(t.clock.now()) ?? 0) + 1);
      fires.set(ctx.job.id, (fires.get(ctx.job.id) ?? 0) + 1);
    });
    await scheduler.start();
    const startAt = Math.ceil((t.clock.now() + 3_000) / 1_000) * 1_000;
    await scheduler.submitJobs(
      Array.from({ length: JOBS }, (_, i) => ({
        id: `j${i}`,
        schedule: every('1s', { startAt: new Date(startAt) }),
      })),
    );
    await t.clock.advance(startAt + 9_000 - 1 - t.clock.now());
    // Warmed up: the fires of the next instant are claimed before it, beyond the slots.
    expect(scheduler.status().waiting).toBeGreaterThan(CONCURRENCY);
    await t.clock.advance(2);

    // Ten instants (+0 … +9 s), every job at each.
    expect(fires.size).toBe(JOBS);
    expect([...fires.values()].every((n) => n === 10)).toBe(true);
    // After the first seconds (a fresh instance holds 2 × its slots until it has measured
    // its rate) every fire runs at its instant.
    expect(lateness.slice(3 * JOBS).every((ms) => ms === 0)).toBe(true);
    // Planning never runs at an instant before that instant's fires were dispatched.
    const steady = plans.filter((p) => p.at >= startAt + 3_000);
    expect(steady.length).toBeGreaterThan(0);
    expect(steady.filter((p) => p.at % 1_000 === 0 && p.firedBefore < JOBS)).toEqual([]);
  });

  it('runs the due work it claimed before it plans', async () => {
    const inner = memoryStore();
    const calls: string[] = [];
    const store = intercept(inner, {
      jobsAdvance: async (params) => {
        calls.push('plan');
        return inner.jobsAdvance(params);
      },
    });
    const t = testScheduler({ store, concurrency: CONCURRENCY });
    scheduler = t.scheduler;
    scheduler.setHandler(() => void calls.push('call'));
    await scheduler.start();
    // Jobs whose first fires enter the horizon a second from now...
    const t0 = t.clock.now();
    await scheduler.submitJobs(
      Array.from({ length: 20 }, (_, i) => ({
        id: `j${i}`,
        schedule: every('1s', { startAt: new Date(t0 + 3_000) }),
      })),
    );
    await t.clock.advance(1_000);
    expect(calls).toEqual([]);
    // ...and then a trigger due now: the cycle it wakes claims it and has planning to do.
    await scheduler.triggerJob('j0');
    await t.clock.advance(0);
    expect(calls.slice(0, 2)).toEqual(['call', 'plan']);
  });
});
