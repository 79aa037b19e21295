/**
 * start() and stop() racing each other, and what stays armed after stop()
 * (regressions of the review of commit 4d81d5b):
 *
 * - stop() while start() still opens the store: the engine never starts, no
 *   handler runs, later calls are refused, and every stop() call resolves only
 *   once the scheduler has stopped;
 * - stop() while a heartbeat's store call is in flight: the heartbeat does not
 *   re-arm itself once that call returns.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { every, memoryStore, type Scheduler, type TestClock } from '../src/index.js';
import { newJobRecord } from '../src/scheduler/job-records.js';
import { collect } from './helpers/events.js';
import { intercept } from './helpers/intercept.js';
import { testScheduler } from './helpers/scheduler.js';
import { insertJob } from './helpers/jobs.js';

/** A promise and the function that resolves it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets the TestClock's zero-delay timeouts and pending promise work run, until `done()`. */
async function settleUntil(clock: TestClock, done: () => boolean, rounds = 200): Promise<void> {
  for (let i = 0; i < rounds && !done(); i++) await clock.advance(0);
  if (!done()) throw new Error('condition still false after settling');
}

describe('start, stop and what is left behind', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop().catch(() => undefined);
  });
  const track = (scheduler: Scheduler) => stops.push(() => scheduler.stop({ timeoutMs: 0 }));

  it('stop() during start(): no engine, no handler runs, calls are refused, every stop() resolves after the stop', async () => {
    const inner = memoryStore();
    let opened!: () => void;
    const openGate = new Promise<void>((resolve) => (opened = resolve));
    let storeCallsAfterStop = 0;
    let stopResolved = false;
    const store = intercept(inner, {
      // The store takes a while to open (a migration, a connection).
      open: async () => {
        await openGate;
        await inner.open();
      },
      jobsDue: async (params) => {
        if (stopResolved) storeCallsAfterStop++;
        return inner.jobsDue(params);
      },
      nextDueAt: async () => {
        if (stopResolved) storeCallsAfterStop++;
        return inner.nextDueAt();
      },
    });
    // A job already due in the store: an engine that started would fire it at once.
    await inner.open();
    const { scheduler, clock } = testScheduler({ store });
    track(scheduler);
    await insertJob(
      inner,
      newJobRecord(
        'due',
        { schedule: every('1s'), target: { type: 'handler', name: 'h' } },
        clock.now() - 5_000,
      ),
    );
    let runs = 0;
    scheduler.handle('h', () => void runs++);

    const starting = scheduler.start();
    // A call made before start() finished waits for it (its outcome is caught at once).
    const pendingCall = scheduler.getJob('due').then(
      () => 'resolved',
      (err: unknown) => err,
    );
    const order: string[] = [];
    const stopA = scheduler.stop().then(() => order.push('stop A'));
    const stopB = scheduler.stop().then(() => order.push('stop B'));
    await clock.advance(0);
    // The store is still opening: neither stop() may claim it is done.
    expect(order).toEqual([]);
    opened();
    await Promise.all([stopA, stopB]);
    stopResolved = true;
    expect(order.sort()).toEqual(['stop A', 'stop B']);
    expect(scheduler.status().state).toBe('stopped');
    await starting.catch(() => undefined);

    expect(await pendingCall).toMatchObject({ code: 'CHIME_ERR_SCHEDULER_STOPPED' });
    await expect(
      scheduler.ensureJob({ id: 'j', schedule: every('1s'), target: { type: 'handler' } }),
    ).rejects.toMatchObject({ code: 'CHIME_ERR_SCHEDULER_STOPPED' });
    await expect(scheduler.triggerJob('due')).rejects.toMatchObject({
      code: 'CHIME_ERR_SCHEDULER_STOPPED',
    });
    await expect(scheduler.listJobs()).rejects.toMatchObject({
      code: 'CHIME_ERR_SCHEDULER_STOPPED',
    });

    await clock.advance(10_000);
    expect(runs).toBe(0);
    expect(storeCallsAfterStop).toBe(0);
    expect(clock.armed.count).toBe(0);
    expect(scheduler.status()).toMatchObject({ state: 'stopped', held: 0, running: 0 });
    // stop() once more still resolves
    await scheduler.stop();
  });

  it('every concurrent stop() of a running scheduler resolves only after its attempts ended and the store closed', async () => {
    const inner = memoryStore();
    let closed = false;
    const store = intercept(inner, {
      close: async () => {
        await inner.close();
        closed = true;
      },
    });
    const { scheduler, clock } = testScheduler({ store });
    track(scheduler);
    const t0 = clock.now();
    const started = deferred();
    const release = deferred();
    let handlerDone = false;
    scheduler.handle('h', async () => {
      started.resolve();
      await release.promise;
      handlerDone = true;
    });
    await scheduler.start();
    await scheduler.ensureJob({
      id: 'j',
      schedule: every('1h', { startAt: new Date(t0 + 500) }),
      target: { type: 'handler', name: 'h' },
    });
    await clock.advance(500);
    await started.promise;

    const seen: { call: string; handlerDone: boolean; closed: boolean }[] = [];
    const stops = ['first', 'second', 'third'].map((call) =>
      scheduler.stop({ timeoutMs: 60_000 }).then(() => seen.push({ call, handlerDone, closed })),
    );
    await clock.advance(0);
    expect(seen).toEqual([]); // the attempt still runs: nobody is told the stop is done
    release.resolve();
    await settleUntil(clock, () => seen.length === 3);
    await Promise.all(stops);
    expect(seen.map((s) => ({ handlerDone: s.handlerDone, closed: s.closed }))).toEqual([
      { handlerDone: true, closed: true },
      { handlerDone: true, closed: true },
      { handlerDone: true, closed: true },
    ]);
    const [execution] = (await inner.executionsList({ limit: 10 })).map((e) => e.status);
    expect(execution).toBe('succeeded');
  });

  it('arms no timer after stop() returned, even when a heartbeat was in flight during the stop', async () => {
    const inner = memoryStore();
    const renewGate = deferred();
    let renewInFlight = false;
    let renewCalls = 0;
    let stopped = false;
    let storeCallsAfterStop = 0;
    let finishesWritten = 0;
    const store = intercept(inner, {
      leasesRenew: async (params) => {
        if (stopped) storeCallsAfterStop++;
        renewCalls++;
        renewInFlight = true;
        await renewGate.promise; // a slow store round trip
        renewInFlight = false;
        return inner.leasesRenew(params);
      },
      nextDueAt: async () => {
        if (stopped) storeCallsAfterStop++;
        return inner.nextDueAt();
      },
      executionsFinish: async (params) => {
        const written = await inner.executionsFinish(params);
        finishesWritten++;
        return written;
      },
    });
    const { scheduler, clock } = testScheduler({ store, leaseMs: 3_000 });
    track(scheduler);
    const t0 = clock.now();
    let aborted = false;
    scheduler.handle(
      'h',
      (ctx) =>
        new Promise<void>((resolve) =>
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          }),
        ),
    );
    await scheduler.start();
    await scheduler.ensureJob({
      id: 'j',
      schedule: every('1h', { startAt: new Date(t0 + 500) }),
      target: { type: 'handler', name: 'h' },
    });
    await clock.advance(1_000); // the attempt runs since +500; the +1000 heartbeat is in flight
    expect(renewInFlight).toBe(true);

    let stopDone = false;
    const stopping = scheduler.stop({ timeoutMs: 0 }).then(() => (stopDone = true));
    // The attempt is aborted at the deadline and handed back; the stop then waits for the heartbeat.
    await settleUntil(clock, () => aborted && finishesWritten === 1);
    for (let i = 0; i < 5; i++) await clock.advance(0);
    expect(stopDone).toBe(false);
    renewGate.resolve(); // the heartbeat's store call returns only now, after stop() cleared its timer
    await stopping;
    stopped = true;

    expect(clock.armed).toEqual({ count: 0, furthestMs: 0 });
    await clock.advance(10_000);
    expect(clock.armed).toEqual({ count: 0, furthestMs: 0 });
    expect(storeCallsAfterStop).toBe(0);
    expect(renewCalls).toBe(1);
  });
});

describe('stop() between a claim and its instant', () => {
  it('hands the claimed execution back as it was; another instance runs it at its instant as its first attempt', async () => {
    const store = memoryStore();
    const first = testScheduler({ store });
    const t0 = first.clock.now();
    const calls: { instance: string; at: number; attempt: number }[] = [];
    first.scheduler.setHandler((ctx) => {
      calls.push({ instance: 'first', at: first.clock.now(), attempt: ctx.attempt });
    });
    await first.scheduler.start();
    await first.scheduler.ensureJob({
      id: 'j',
      schedule: every('1h', { startAt: new Date(t0 + 1_000) }),
    });
    await first.clock.advance(990); // claimed ahead, waiting for its instant
    const [claimed] = await store.executionsList({ jobId: 'j', limit: 10 });
    expect(claimed).toMatchObject({ status: 'scheduled', leaseOwner: first.scheduler.instanceId });
    const announced = {
      started: collect(first.scheduler, 'execution:started'),
      failed: collect(first.scheduler, 'execution:failed'),
    };
    await first.scheduler.stop({ timeoutMs: 0 });

    const [handedBack] = await store.executionsList({ jobId: 'j', limit: 10 });
    expect(handedBack).toMatchObject({
      status: 'scheduled',
      leaseOwner: null,
      runAt: t0 + 1_000,
      attempt: 0,
      attempts: [],
    });
    expect(calls).toEqual([]);
    expect(announced).toEqual({ started: [], failed: [] }); // nothing ran, nothing is announced

    const second = testScheduler({ store, clock: first.clock });
    second.scheduler.setHandler((ctx) => {
      calls.push({ instance: 'second', at: second.clock.now(), attempt: ctx.attempt });
    });
    await second.scheduler.start();
    await second.clock.advance(200);
    expect(calls).toEqual([{ instance: 'second', at: t0 + 1_000, attempt: 1 }]);
    await second.scheduler.stop({ timeoutMs: 0 });
  });
});
