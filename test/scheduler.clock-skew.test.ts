/**
 * Clock skew: a store whose database has a clock of its own reports how far
 * the local clock is from it, and the scheduler runs its engine on the
 * corrected clock — fires at the database's instant, leases judged by the
 * database's clock — warns when the skew is large, and shows it in status().
 * Here a memory store is wrapped to report a chosen skew.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import {
  createScheduler,
  memoryStore,
  once,
  TestClock,
  type Scheduler,
  type Store,
} from '../src/index.js';
import { skewedClock } from '../src/engine/skewed-clock.js';
import { waitFor } from './helpers/events.js';
import { silent } from './helpers/scheduler.js';

const T = Date.parse('2026-03-02T10:00:00Z');

/** What the wrapped store reports: a skew in ms, or an error to throw. */
interface Reported {
  skew: number | Error;
  calls: number;
}

/** `store`, reporting `reported.skew` as its clock skew. */
function reportingSkew(store: Store, reported: Reported): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'clockSkewMs') {
        return async () => {
          reported.calls++;
          if (reported.skew instanceof Error) throw reported.skew;
          return reported.skew;
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

/** A pino logger whose lines are collected, parsed. */
function capturingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

const skewWarnings = (lines: Record<string, unknown>[]) =>
  lines.filter((l) => l['level'] === 40 && 'thresholdMs' in l);

describe('clock skew against the store', () => {
  const schedulers: Scheduler[] = [];
  afterEach(async () => {
    for (const s of schedulers.splice(0)) await s.stop({ timeoutMs: 0 });
  });

  function start(options: Parameters<typeof createScheduler>[0]): Scheduler {
    const scheduler = createScheduler({ logger: silent, ...options });
    schedulers.push(scheduler);
    return scheduler;
  }

  it('fires a once job when the corrected clock reaches its instant, and shows the skew in status()', async () => {
    const clock = new TestClock(T);
    const reported: Reported = { skew: 5_000, calls: 0 };
    const scheduler = start({ store: reportingSkew(memoryStore(), reported), clock });
    const fired: { fireAt: number; localNow: number }[] = [];
    scheduler.setHandler(
      (ctx) => void fired.push({ fireAt: ctx.fireAt.getTime(), localNow: clock.now() }),
    );
    await scheduler.start();
    expect(reported.calls).toBe(1); // measured at start, before the engine ran
    expect(scheduler.status().clockSkewMs).toBe(5_000);

    // Due at T+7s by the database's clock, which the local clock reaches at T+7s but
    // the database's clock (local + 5 s) at local T+2s.
    await scheduler.ensureJob({ id: 'at-7s', schedule: once(new Date(T + 7_000)) });
    await clock.advance(1_990);
    expect(fired).toEqual([]);
    const done = waitFor(scheduler, 'execution:succeeded');
    await clock.advance(10);
    await done;
    expect(fired).toEqual([{ fireAt: T + 7_000, localNow: T + 2_000 }]);
    const execution = (await scheduler.listExecutions({ jobId: 'at-7s' })).items[0];
    expect(execution?.startedAt).toBe(new Date(T + 7_000).toISOString()); // recorded on the database's clock
  });

  it('measures again every minute: a new skew applies to status() and to the engine', async () => {
    const clock = new TestClock(T);
    const reported: Reported = { skew: 0, calls: 0 };
    const scheduler = start({ store: reportingSkew(memoryStore(), reported), clock });
    const fired: number[] = [];
    scheduler.setHandler(() => void fired.push(clock.now()));
    await scheduler.start();
    expect(scheduler.status().clockSkewMs).toBe(0);
    reported.skew = -3_000; // the local clock is now 3 s ahead of the database
    await clock.advance(59_000);
    expect(scheduler.status().clockSkewMs).toBe(0);
    await clock.advance(1_000);
    expect(reported.calls).toBe(2);
    expect(scheduler.status().clockSkewMs).toBe(-3_000);

    // Due at T+65s on the corrected clock (local − 3 s), which reaches it at local T+68s.
    await scheduler.ensureJob({ id: 'later', schedule: once(new Date(T + 65_000)) });
    await clock.advance(7_990);
    expect(fired).toEqual([]);
    await clock.advance(10);
    expect(fired).toEqual([T + 68_000]);
    await clock.advance(120_000);
    expect(reported.calls).toBe(4);
  });

  it('warns past 1 s, once per change of sign or magnitude, not at every measurement', async () => {
    const clock = new TestClock(T);
    const { logger, lines } = capturingLogger();
    const reported: Reported = { skew: 5_000, calls: 0 };
    const scheduler = start({ store: reportingSkew(memoryStore(), reported), clock, logger });
    await scheduler.start();
    expect(skewWarnings(lines)).toEqual([
      expect.objectContaining({
        clockSkewMs: 5_000,
        msg: expect.stringContaining('5000 ms behind the database clock'),
      }),
    ]);

    await clock.advance(180_000); // three more measurements of the same skew
    reported.skew = 6_500; // same sign, same magnitude (4–8 s)
    await clock.advance(60_000);
    expect(reported.calls).toBe(5);
    expect(scheduler.status().clockSkewMs).toBe(6_500);
    expect(skewWarnings(lines)).toHaveLength(1);

    reported.skew = 9_000; // larger: 8–16 s
    await clock.advance(60_000);
    reported.skew = -3_000; // the other way
    await clock.advance(60_000);
    expect(skewWarnings(lines).map((l) => l['clockSkewMs'])).toEqual([5_000, 9_000, -3_000]);
    expect(skewWarnings(lines)[2]?.['msg']).toContain('3000 ms ahead of the database clock');

    reported.skew = -900; // within the threshold, but not yet within half of it: no news
    await clock.advance(60_000);
    reported.skew = -3_500; // back over it, in the bucket warned about last: no new warning
    await clock.advance(60_000);
    expect(skewWarnings(lines)).toHaveLength(3);

    reported.skew = 100; // back to normal: told once, at info level
    await clock.advance(60_000);
    expect(lines.filter((l) => l['level'] === 30 && l['clockSkewMs'] === 100)).toHaveLength(1);
    reported.skew = 2_500; // and a new skew after that is warned about again
    await clock.advance(60_000);
    expect(skewWarnings(lines).map((l) => l['clockSkewMs'])).toEqual([5_000, 9_000, -3_000, 2_500]);
  });

  it('keeps the last skew when a measurement fails, and logs it', async () => {
    const clock = new TestClock(T);
    const { logger, lines } = capturingLogger();
    const reported: Reported = { skew: 2_000, calls: 0 };
    const scheduler = start({ store: reportingSkew(memoryStore(), reported), clock, logger });
    await scheduler.start();
    reported.skew = new Error('connection reset');
    await clock.advance(60_000);
    expect(reported.calls).toBe(2);
    expect(scheduler.status().clockSkewMs).toBe(2_000);
    expect(lines.filter((l) => String(l['msg']).includes('could not measure'))).toHaveLength(1);
    reported.skew = 2_100;
    await clock.advance(60_000);
    expect(scheduler.status().clockSkewMs).toBe(2_100);
  });

  it('a store without a clock of its own: skew 0, no measurement, no warning', async () => {
    const clock = new TestClock(T);
    const { logger, lines } = capturingLogger();
    const scheduler = start({ store: memoryStore(), clock, logger });
    await scheduler.start();
    await clock.advance(120_000);
    expect(scheduler.status().clockSkewMs).toBe(0);
    expect(lines.filter((l) => Number(l['level']) >= 40)).toEqual([]);
  });

  it('judges lease expiry by the store clock: a host 5 s behind keeps its lease; no take-over, one run', async () => {
    const db = new TestClock(T); // the database's clock, and the clock of host B
    const shared = memoryStore();
    const reported: Reported = { skew: 5_000, calls: 0 };
    // Host A's own clock is 5 s behind the database; its store says so.
    const a = start({
      store: reportingSkew(shared, reported),
      clock: skewedClock(db, () => -5_000),
      instanceId: 'a',
      leaseMs: 3_000,
    });
    const b = start({ store: shared, clock: db, instanceId: 'b', leaseMs: 3_000 });
    const starts: string[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    for (const [name, scheduler] of [
      ['a', a],
      ['b', b],
    ] as const) {
      scheduler.setHandler(async (ctx) => {
        starts.push(`${name}#${ctx.attempt}`);
        await held;
        return name;
      });
    }
    await a.start();
    await a.ensureJob({ id: 'long', schedule: once(new Date(T + 1_000)) }); // A's clock: T-5s
    await db.advance(6_000); // started by now, whether A fires at T+1s (corrected) or T+6s (not)
    expect(starts).toEqual(['a#1']);
    await b.start(); // B joins while A's attempt runs; its reaper looks for expired leases
    await db.advance(20_000);
    expect(starts).toEqual(['a#1']); // A's lease, written on the database's clock, never looked expired
    const done = waitFor(a, 'execution:succeeded');
    release();
    await db.advance(10);
    await done;
    const execution = (await a.listExecutions({ jobId: 'long' })).items[0];
    expect(execution).toMatchObject({ status: 'succeeded', attempt: 1, result: 'a' });
  });
});
