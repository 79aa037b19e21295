import { afterEach, describe, expect, it } from 'vitest';
import { once, PermanentError, type Scheduler } from '../src/index.js';
import { collect, waitFor } from './helpers/events.js';
import { testScheduler } from './helpers/scheduler.js';

describe('retries, timeouts and onFailure', () => {
  let scheduler: Scheduler;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  it('runs a retry at its instant although the poll is long: a written retry wakes the engine', async () => {
    const t = testScheduler({ pollIntervalMs: 30_000 });
    scheduler = t.scheduler;
    const calls: number[] = [];
    scheduler.setHandler((ctx) => {
      calls.push(t.clock.now());
      if (ctx.attempt === 1) throw new Error('boom');
    });
    await scheduler.start();
    const fireAt = t.clock.now() + 100;
    await scheduler.ensureJob({
      id: 'soon-again',
      schedule: once(new Date(fireAt)),
      retry: { maxAttempts: 2, initialDelay: 250, jitter: false },
    });
    const done = waitFor(scheduler, 'execution:succeeded');
    for (let i = 0; i < 20; i++) await t.clock.advance(50);
    await done;
    expect(calls.map((at) => at - fireAt)).toEqual([0, 250]);
  });

  it('retries a failing attempt after its exponential backoff, keeping the execution id, until it succeeds', async () => {
    const t = testScheduler();
    scheduler = t.scheduler;
    const calls: { at: number; attempt: number; executionId: string }[] = [];
    scheduler.setHandler((ctx) => {
      calls.push({ at: t.clock.now(), attempt: ctx.attempt, executionId: ctx.executionId });
      if (ctx.attempt < 3) throw new Error(`boom ${ctx.attempt}`);
      return 'ok';
    });
    const failed = collect(scheduler, 'execution:failed');
    await scheduler.start();
    const fireAt = t.clock.now() + 100;
    await scheduler.ensureJob({
      id: 'flaky',
      schedule: once(new Date(fireAt)),
      retry: { maxAttempts: 3, backoff: 'exponential', initialDelay: '1s', jitter: false },
    });
    const done = waitFor(scheduler, 'execution:succeeded');
    for (let i = 0; i < 40; i++) await t.clock.advance(100);
    const success = await done;
    expect(calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(new Set(calls.map((c) => c.executionId)).size).toBe(1);
    expect(calls.map((c) => c.at - fireAt)).toEqual([0, 1_000, 3_000]);
    expect(failed.map((f) => f.retryAt?.getTime())).toEqual([fireAt + 1_000, fireAt + 3_000]);
    const execution = await scheduler.getExecution(success.executionId);
    expect(execution?.attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'succeeded'],
    ]);
    expect(execution?.attempts[0]?.error?.message).toBe('boom 1');
  });

  it('uses a fixed delay with backoff "fixed"', async () => {
    const t = testScheduler();
    scheduler = t.scheduler;
    const at: number[] = [];
    scheduler.setHandler(() => {
      at.push(t.clock.now());
      throw new Error('always');
    });
    await scheduler.start();
    await scheduler.ensureJob({
      id: 'fixed',
      schedule: once(new Date(t.clock.now() + 100)),
      retry: { maxAttempts: 4, backoff: 'fixed', initialDelay: '2s', jitter: false },
    });
    const dead = waitFor(scheduler, 'execution:dead');
    for (let i = 0; i < 80; i++) await t.clock.advance(100);
    await dead;
    expect(at.slice(1).map((x, i) => x - (at[i] as number))).toEqual([2_000, 2_000, 2_000]);
  });

  it('fails at once on PermanentError and runs onFailure exactly once with the failure', async () => {
    const t = testScheduler();
    scheduler = t.scheduler;
    let attempts = 0;
    scheduler.handle('work', () => {
      attempts++;
      throw new PermanentError('bad data');
    });
    const letters: unknown[] = [];
    scheduler.handle('dead-letter', (ctx) => void letters.push(ctx.payload));
    await scheduler.start();
    await scheduler.ensureJob({
      id: 'perm',
      schedule: once(new Date(t.clock.now() + 100)),
      target: { type: 'handler', name: 'work' },
      onFailure: { type: 'handler', name: 'dead-letter' },
      payload: { order: 7 },
      retry: { maxAttempts: 5 },
    });
    const delivered = waitFor(scheduler, 'execution:on-failure');
    await t.clock.advance(200);
    const event = await delivered;
    expect(event.delivered).toBe(true);
    expect(attempts).toBe(1);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      jobId: 'perm',
      executionId: event.executionId,
      error: { message: 'bad data', name: 'PermanentError' },
      payload: { order: 7 },
    });
    const execution = await scheduler.getExecution(event.executionId);
    expect(execution).toMatchObject({
      status: 'failed',
      onFailure: 'delivered',
      error: { message: 'bad data' },
    });
    await t.clock.advance(60_000);
    expect(letters).toHaveLength(1);
  });

  it('aborts the attempt signal at the timeout and records timed_out', async () => {
    const t = testScheduler();
    scheduler = t.scheduler;
    const reasons: unknown[] = [];
    scheduler.setHandler(
      (ctx) =>
        new Promise((_, reject) => {
          ctx.signal.addEventListener('abort', () => {
            reasons.push(ctx.signal.reason);
            reject(ctx.signal.reason as Error);
          });
        }),
    );
    await scheduler.start();
    await scheduler.ensureJob({
      id: 'slow',
      schedule: once(new Date(t.clock.now() + 100)),
      timeout: '2s',
      retry: { maxAttempts: 1 },
    });
    const dead = waitFor(scheduler, 'execution:dead');
    await t.clock.advance(100);
    await t.clock.advance(1_999);
    expect(reasons).toHaveLength(0);
    await t.clock.advance(1);
    const event = await dead;
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatchObject({ code: 'CHIME_ERR_ATTEMPT_TIMEOUT' });
    expect(event.error.code).toBe('CHIME_ERR_ATTEMPT_TIMEOUT');
    const execution = await scheduler.getExecution(event.executionId);
    expect(execution?.attempts[0]?.outcome).toBe('timed_out');
  });

  it('ends a timed-out attempt at its deadline even when the handler ignores the signal', async () => {
    const t = testScheduler();
    scheduler = t.scheduler;
    scheduler.setHandler(() => new Promise(() => undefined));
    await scheduler.start();
    await scheduler.ensureJob({
      id: 'stuck',
      schedule: once(new Date(t.clock.now() + 100)),
      timeout: '1s',
      retry: { maxAttempts: 1 },
    });
    const dead = waitFor(scheduler, 'execution:dead');
    await t.clock.advance(1_200);
    expect((await dead).error.code).toBe('CHIME_ERR_ATTEMPT_TIMEOUT');
  });
});
