/**
 * Executions whose attempts vanish with their instance, and dead letters cut
 * short by shutdown (regressions of the review of commit 4d81d5b):
 *
 * - an abandoned attempt counts against `retry.maxAttempts`: an execution
 *   whose attempts keep taking their instance down ends `failed` once that many
 *   failures are recorded, instead of being taken over forever, and its
 *   onFailure target runs once;
 * - an onFailure delivery interrupted by stop() is handed back (still
 *   `pending`), and the next instance delivers it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  every,
  memoryStore,
  once,
  PermanentError,
  TestClock,
  type Scheduler,
} from '../src/index.js';
import { newJobRecord } from '../src/scheduler/job-records.js';
import { collect, waitFor } from './helpers/events.js';
import { stopOnTestClock, testScheduler } from './helpers/scheduler.js';
import { insertJob } from './helpers/jobs.js';

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

const T0 = Date.parse('2026-03-02T10:00:00Z');

describe('abandoned attempts and interrupted dead letters', () => {
  const running: { scheduler: Scheduler; clock: TestClock }[] = [];
  afterEach(async () => {
    for (const { scheduler, clock } of running.splice(0)) await stopOnTestClock(scheduler, clock);
  });

  it('ends an execution failed once its abandoned attempts reach maxAttempts, and runs onFailure once', async () => {
    // Each instance that runs the attempt "crashes": its handler never returns and its
    // clock never moves again (no heartbeat, no outcome). The next instance, later,
    // finds the lease expired and takes the execution over.
    const store = memoryStore();
    const leaseMs = 3_000;
    const attemptsRun: { instance: string; attempt: number }[] = [];
    const letters: unknown[] = [];
    const instance = (id: string, start: number) => {
      const { scheduler, clock } = testScheduler({
        store,
        clock: new TestClock(start),
        instanceId: id,
        leaseMs,
      });
      scheduler.handle('crashy', (ctx) => {
        attemptsRun.push({ instance: id, attempt: ctx.attempt });
        return new Promise<never>(() => undefined); // the process dies with it
      });
      scheduler.handle('dead-letter', (ctx) => void letters.push(ctx.payload));
      return { scheduler, clock };
    };

    const a = instance('A', T0);
    await a.scheduler.start();
    await a.scheduler.ensureJob({
      id: 'poison',
      schedule: once(new Date(T0 + 500)),
      target: { type: 'handler', name: 'crashy' },
      onFailure: { type: 'handler', name: 'dead-letter' },
      retry: { maxAttempts: 2 },
    });
    await advanceUntil(a.clock, () => attemptsRun.length === 1);

    // A is left as it is: crashed. B starts a minute later, when A's lease ran out long ago.
    const b = instance('B', T0 + 60_000);
    await b.scheduler.start();
    await advanceUntil(b.clock, () => attemptsRun.length === 2);

    const c = instance('C', T0 + 120_000);
    running.push(c);
    const dead = collect(c.scheduler, 'execution:dead');
    const deliveries = collect(c.scheduler, 'execution:on-failure');
    await c.scheduler.start();
    await advanceUntil(c.clock, () => letters.length > 0 || attemptsRun.length > 2);
    await c.clock.advance(30_000); // nothing else happens to it

    expect(attemptsRun).toEqual([
      { instance: 'A', attempt: 1 },
      { instance: 'B', attempt: 2 },
    ]); // C never runs a third attempt
    expect(letters).toHaveLength(1);
    expect(dead.map((e) => e.jobId)).toEqual(['poison']);
    expect(deliveries.map((e) => e.delivered)).toEqual([true]);
    const [execution] = (await c.scheduler.listExecutions({ jobId: 'poison' })).items;
    expect(execution?.status).toBe('failed');
    expect(execution?.onFailure).toBe('delivered');
    expect(execution?.attempts.map((x) => [x.attempt, x.owner, x.outcome])).toEqual([
      [1, 'A', 'abandoned'],
      [2, 'B', 'abandoned'],
    ]);
    expect(letters[0]).toMatchObject({ jobId: 'poison', executionId: execution?.id });
  });

  it('does not run again an execution taken over with more abandoned attempts than maxAttempts allows', async () => {
    const store = memoryStore();
    const { scheduler, clock } = testScheduler({ store, leaseMs: 3_000 });
    running.push({ scheduler, clock });
    const t0 = clock.now();
    const seen: number[] = [];
    let letters = 0;
    scheduler.handle('h', (ctx) => void seen.push(ctx.attempt));
    scheduler.handle('dlq', () => void letters++);
    await store.open();
    await insertJob(
      store,
      newJobRecord(
        'j',
        {
          schedule: every('1d', { startAt: new Date(t0 + 86_400_000) }),
          target: { type: 'handler', name: 'h' },
          onFailure: { type: 'handler', name: 'dlq' },
          retry: { maxAttempts: 3 },
        },
        t0,
      ),
    );
    // Attempt 7 of an execution (6 abandoned before it) was running on an instance that died.
    const iso = (ms: number) => new Date(ms).toISOString();
    await store.executionInsert({
      execution: {
        id: 'e1',
        jobId: 'j',
        fireAt: t0 - 60_000,
        runAt: t0 - 60_000,
        trigger: 'schedule',
        status: 'running',
        attempt: 7,
        leaseOwner: 'dead-instance',
        leaseUntil: t0 - 1,
        leaseToken: 9,
        attempts: [1, 2, 3, 4, 5, 6].map((attempt) => ({
          attempt,
          owner: 'dead-instance',
          startedAt: iso(t0 - 60_000),
          finishedAt: iso(t0 - 60_000),
          outcome: 'abandoned' as const,
        })),
        onFailure: null,
        createdAt: t0 - 60_000,
        startedAt: t0 - 50_000,
        finishedAt: null,
      },
    });
    const dead = collect(scheduler, 'execution:dead');
    await scheduler.start();
    await advanceUntil(clock, () => letters > 0 || seen.length > 0, { maxMs: 10_000 });
    await clock.advance(5_000);

    expect(seen).toEqual([]);
    expect(letters).toBe(1);
    expect(dead.map((e) => e.executionId)).toEqual(['e1']);
    const execution = await scheduler.getExecution('e1');
    expect(execution?.status).toBe('failed');
    expect(execution?.onFailure).toBe('delivered');
    expect(execution?.attempts).toHaveLength(7); // the six, and the takeover's record of the 7th
    expect(execution?.attempts.every((x) => x.outcome === 'abandoned')).toBe(true);
  });

  it('hands an onFailure delivery interrupted by stop() back as pending; the next instance delivers it', async () => {
    const store = memoryStore();
    const clock = new TestClock(T0);
    const a = testScheduler({ store, clock, instanceId: 'A' });
    let deliveriesStarted = 0;
    a.scheduler.handle('job', () => {
      throw new PermanentError('bad input');
    });
    a.scheduler.handle('dlq', async (ctx) => {
      deliveriesStarted++;
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      throw ctx.signal.reason;
    });
    const aDeliveries: boolean[] = [];
    a.scheduler.on('execution:on-failure', (e) => aDeliveries.push(e.delivered));
    await a.scheduler.start();
    await a.scheduler.ensureJob({
      id: 'j',
      schedule: every('1h', { startAt: new Date(T0 + 500) }),
      target: { type: 'handler', name: 'job' },
      onFailure: { type: 'handler', name: 'dlq' },
    });
    await advanceUntil(clock, () => deliveriesStarted === 1);

    let stopped = false;
    const stopping = a.scheduler.stop({ timeoutMs: 100 }).then(() => (stopped = true));
    await advanceUntil(clock, () => stopped, { stepMs: 10, maxMs: 5_000 });
    await stopping;
    expect(aDeliveries).toEqual([]); // no "failed delivery" recorded by A
    const [afterStop] = await store.executionsList({ limit: 10 });
    expect(afterStop).toMatchObject({ status: 'failed', onFailure: 'pending', leaseOwner: null });

    const b = testScheduler({ store, clock, instanceId: 'B' });
    running.push(b);
    const letters: unknown[] = [];
    b.scheduler
      .handle('job', () => undefined)
      .handle('dlq', (ctx) => void letters.push(ctx.payload));
    const delivered = waitFor(b.scheduler, 'execution:on-failure');
    await b.scheduler.start();
    await advanceUntil(clock, () => letters.length > 0, { maxMs: 10_000 });
    expect((await delivered).delivered).toBe(true);
    await clock.advance(60_000);

    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      jobId: 'j',
      executionId: afterStop?.id,
      error: { message: 'bad input' },
    });
    const [execution] = (await b.scheduler.listExecutions({ jobId: 'j' })).items.filter(
      (e) => e.id === afterStop?.id,
    );
    expect(execution).toMatchObject({ status: 'failed', onFailure: 'delivered' });
  });
});
