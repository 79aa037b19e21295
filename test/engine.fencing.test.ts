/**
 * Fencing of one execution's lease, start and finish inside one instance
 * (regressions of the review of commit 4d81d5b):
 *
 * - a claim whose lease was lost while it waited for a slot, and whose
 *   execution this same instance then took over, must not run next to the
 *   takeover (starts are fenced by token and attempt number);
 * - an attempt's outcome write must drop only its own lease, not the newer
 *   lease of the retry that was claimed while the write's reply was on the wire;
 * - a failed start write (`overlap: 'forbid'`) gives its leases back, so the
 *   fires run at once, not after the lease expires.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { every, memoryStore, once, type Scheduler, type TestClock } from '../src/index.js';
import { collect, waitFor } from './helpers/events.js';
import { intercept } from './helpers/intercept.js';
import { testScheduler } from './helpers/scheduler.js';

/** Advances the TestClock in steps until `done()` holds, at most `maxMs`. */
async function advanceUntil(
  clock: TestClock,
  done: () => boolean,
  { stepMs = 100, maxMs = 60_000 } = {},
): Promise<void> {
  for (let spent = 0; !done(); spent += stepMs) {
    if (spent >= maxMs) throw new Error(`still not done after advancing ${maxMs} ms`);
    await clock.advance(stepMs);
  }
}

describe('fencing of one execution inside one instance', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });
  const track = (scheduler: Scheduler) => stops.push(() => scheduler.stop({ timeoutMs: 0 }));

  it('never runs one execution twice at once when its lease is lost while queued and the same instance takes it over', async () => {
    // While every slot is busy, the execution of `y` waits in the queue; heartbeats fail,
    // its lease runs out locally (lease:lost), and when the store is back this instance
    // takes `y` over under a new token. Once slots free up, the stale queued claim and
    // the takeover's claim both reach the runner: only the takeover may run.
    const inner = memoryStore();
    let failing = false;
    const store = intercept(inner, {
      leasesRenew: async (params) => {
        if (failing) throw new Error('connection reset');
        return inner.leasesRenew(params);
      },
    });
    const { scheduler, clock } = testScheduler({ store, leaseMs: 3_000, concurrency: 2 });
    track(scheduler);
    const t0 = clock.now();
    let releaseX!: () => void;
    const xDone = new Promise<void>((resolve) => (releaseX = resolve));
    const yRuns: { executionId: string; attempt: number }[] = [];
    let concurrentY = 0;
    let maxConcurrentY = 0;
    scheduler.handle('x', () => xDone);
    scheduler.handle('y', async (ctx) => {
      concurrentY++;
      maxConcurrentY = Math.max(maxConcurrentY, concurrentY);
      yRuns.push({ executionId: ctx.executionId, attempt: ctx.attempt });
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 500));
      concurrentY--;
    });
    const lost = collect(scheduler, 'lease:lost');
    await scheduler.start();
    await scheduler.ensureJob({
      id: 'y',
      schedule: once(new Date(t0 + 1_900)),
      target: { type: 'handler', name: 'y' },
    });
    await scheduler.ensureJob({
      id: 'x',
      schedule: once(new Date(t0 + 86_400_000)),
      target: { type: 'handler', name: 'x' },
    });
    await clock.advance(1_500); // the +1000 heartbeat renewed y's lease to +4000
    await scheduler.triggerJob('x');
    await scheduler.triggerJob('x'); // both slots busy from +1500 on
    await clock.advance(1);
    failing = true; // heartbeats from +2000 on fail; y is queued at +1900
    await clock.advance(2_500); // at +4000 y's lease runs out by the local clock: lost
    expect(lost.map((e) => e.jobId)).toContain('y');
    failing = false; // the +5000 heartbeat renews x's leases and takes y over
    await clock.advance(1_500);
    const ySucceeded = waitFor(scheduler, 'execution:succeeded', (e) => e.jobId === 'y');
    releaseX(); // slots free: the stale claim and the takeover's claim both reach the runner
    await advanceUntil(clock, () => yRuns.length > 0 && concurrentY === 0);
    await clock.advance(3_000); // room for a second (wrong) run to show up
    await ySucceeded;

    expect(maxConcurrentY).toBe(1);
    const executions = (await scheduler.listExecutions({ jobId: 'y' })).items;
    expect(executions).toHaveLength(1);
    const [execution] = executions;
    expect(execution?.status).toBe('succeeded');
    // Its instant came under the lost lease: a take-over counts that attempt as abandoned
    // (an attempt writes nothing before its end, so it may have run), and runs the next.
    expect(yRuns.map((r) => r.attempt)).toEqual([2]);
    expect(execution?.attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'abandoned'],
      [2, 'succeeded'],
    ]);
    expect(yRuns.every((r) => r.executionId === execution?.id)).toBe(true);
  });

  it('runs a retry re-claimed while the failed attempt’s outcome write was still replying at its retry time, not after lease expiry', async () => {
    // A network store: the outcome write commits, but its reply arrives only after
    // the next claim (which leases the retry to this same instance) was served. The
    // late reply must not drop the retry's new lease.
    const inner = memoryStore();
    let retryId: string | undefined;
    let onRetryClaimed: (() => void) | undefined;
    let claimedBeforeReply = false;
    const store = intercept(inner, {
      executionsFinish: async (params) => {
        const result = await inner.executionsFinish(params);
        const retry = params.finishes.find((f) => f.status === 'scheduled');
        if (retry) {
          retryId = retry.id;
          // The reply is on the wire until the retry is claimed (a safety net keeps it finite).
          await new Promise<void>((resolve) => {
            onRetryClaimed = resolve;
            setTimeout(resolve, 5_000).unref();
          });
        }
        return result;
      },
      executionsClaim: async (params) => {
        const claims = await inner.executionsClaim(params);
        if (onRetryClaimed && claims.some((c) => c.execution.id === retryId)) {
          claimedBeforeReply = true;
          onRetryClaimed();
        }
        return claims;
      },
    });
    // The retry is claimed by the next poll while the reply is held back (the wake-up that
    // follows a written retry waits for that reply): a poll every second makes the race, and
    // the retry is due at the poll after its attempt (the poll at +1 s may run before it).
    const { scheduler, clock } = testScheduler({ store, leaseMs: 30_000, pollIntervalMs: 1_000 });
    track(scheduler);
    const t0 = clock.now();
    const attemptsAt: number[] = [];
    scheduler.handle('h', () => {
      attemptsAt.push(clock.now() - t0);
      if (attemptsAt.length === 1) throw new Error('boom');
    });
    await scheduler.start();
    await scheduler.ensureJob({
      id: 'j',
      schedule: every('1h', { startAt: new Date(t0 + 1_000) }),
      target: { type: 'handler', name: 'h' },
      retry: { maxAttempts: 3, initialDelay: 1_000, jitter: false },
    });
    const succeeded = waitFor(scheduler, 'execution:succeeded');
    await advanceUntil(clock, () => attemptsAt.length >= 2, { maxMs: 45_000 });
    await succeeded;

    expect(claimedBeforeReply).toBe(true); // the race did happen
    expect(attemptsAt).toEqual([1_000, 2_000]); // not 1_000 + leaseMs + …
    const [execution] = (await scheduler.listExecutions({ jobId: 'j' })).items;
    expect(execution?.status).toBe('succeeded');
    expect(execution?.attempts.map((a) => [a.attempt, a.outcome, a.startedAt])).toEqual([
      [1, 'failed', new Date(t0 + 1_000).toISOString()],
      [2, 'succeeded', new Date(t0 + 2_000).toISOString()],
    ]);
  });

  it('gives the leases of a failed start write back: the fires run soon after, not after lease expiry', async () => {
    // Only a start checked by the overlap rule (or taking over an abandoned attempt) is written.
    const inner = memoryStore();
    let failures = 0;
    const store = intercept(inner, {
      executionsStart: async (params) => {
        if (failures === 0) {
          failures++;
          throw new Error('SQLITE_BUSY: database is locked');
        }
        return inner.executionsStart(params);
      },
    });
    const { scheduler, clock } = testScheduler({ store, leaseMs: 30_000 });
    track(scheduler);
    const t0 = clock.now();
    const ran = new Map<string, number>();
    scheduler.handle('h', (ctx) => void ran.set(ctx.job.id, clock.now()));
    const errors = collect(scheduler, 'error');
    await scheduler.start();
    for (const id of ['a', 'b', 'c']) {
      await scheduler.ensureJob({
        id,
        schedule: every('1h', { startAt: new Date(t0 + 1_000) }),
        target: { type: 'handler', name: 'h' },
        overlap: 'forbid',
      });
    }
    await advanceUntil(clock, () => ran.size === 3, { maxMs: 45_000 });

    expect(failures).toBe(1);
    expect(errors.map((e) => e.during)).toContain('executionsStart');
    for (const id of ['a', 'b', 'c']) {
      // within a polling interval of the fire, far from the 30 s lease
      expect((ran.get(id) ?? Infinity) - (t0 + 1_000)).toBeLessThanOrEqual(1_000);
    }
    for (const id of ['a', 'b', 'c']) {
      const [execution] = (await scheduler.listExecutions({ jobId: id })).items;
      expect(execution?.status).toBe('succeeded');
      expect(execution?.attempts.map((a) => a.attempt)).toEqual([1]);
    }
  });
});
