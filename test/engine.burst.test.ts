/**
 * A burst of fires due at one instant: claimed ahead, every target is called
 * at the instant straight from memory, and nothing is written between a
 * fire's claim and its outcome. A burst larger than the slots runs the rest
 * as slots free up, never more attempts at once than the slots.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStore, once, type Scheduler } from '../src/index.js';
import { countingStore } from './helpers/counting-store.js';
import { testScheduler } from './helpers/scheduler.js';

/** Submits `count` one-shot jobs due at `at`, named `<name><i>`. */
async function oneShots(scheduler: Scheduler, name: string, count: number, at: number) {
  await scheduler.submitJobs(
    Array.from({ length: count }, (_, i) => ({ id: `${name}${i}`, schedule: once(new Date(at)) })),
  );
}

/** Executions of the scheduler that succeeded, counted a page at a time. */
async function countSucceeded(scheduler: Scheduler): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await scheduler.listExecutions({ status: 'succeeded', limit: 1000, cursor });
    count += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return count;
}

/**
 * Runs a burst of 2,000 on a memory store whose finish takes a turn of the
 * event loop, as a round trip does, and that states `finishLanes`: the most
 * finish calls seen in flight at once, and how often each execution's end
 * was accepted.
 */
async function burstFinishes(finishLanes: number | undefined) {
  const BURST = 2_000;
  const memory = memoryStore();
  let inFlight = 0;
  let most = 0;
  const finished = new Map<string, number>();
  const finish = async (params: Parameters<typeof memory.executionsFinish>[0]) => {
    most = Math.max(most, ++inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    const accepted = await memory.executionsFinish(params);
    params.finishes.forEach((f, i) => {
      if (accepted[i]) finished.set(f.id, (finished.get(f.id) ?? 0) + 1);
    });
    inFlight--;
    return accepted;
  };
  const capabilities = { notify: false, finishLanes };
  const store = new Proxy(memory, {
    get(object, prop, receiver) {
      if (prop === 'executionsFinish') return finish;
      if (prop === 'capabilities') return capabilities;
      return Reflect.get(object, prop, receiver) as unknown;
    },
  });
  const t = testScheduler({ store, concurrency: BURST, prefetch: BURST });
  try {
    t.scheduler.setHandler(() => undefined);
    await t.scheduler.start();
    const at = t.clock.now() + 3_000;
    await oneShots(t.scheduler, 'b', BURST, at);
    await t.clock.advance(at - t.clock.now());
    while ((await countSucceeded(t.scheduler)) < BURST) await t.clock.advance(0);
  } finally {
    await t.scheduler.stop({ timeoutMs: 0 });
  }
  const eachOnce = finished.size === BURST && [...finished.values()].every((n) => n === 1);
  return { most, once: eachOnce };
}

describe('a burst due at one instant', () => {
  let scheduler: Scheduler | undefined;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  it('calls every target at the instant, with no write between a claim and its outcome', async () => {
    const BURST = 2_000;
    const { store, calls } = countingStore(memoryStore());
    const t = testScheduler({ store, concurrency: BURST, prefetch: BURST });
    scheduler = t.scheduler;
    const calledAt: number[] = [];
    scheduler.setHandler(() => void calledAt.push(t.clock.now()));
    await scheduler.start();
    const at = t.clock.now() + 3_000;
    await oneShots(scheduler, 'b', BURST, at);
    await t.clock.advance(at - 1 - t.clock.now());

    expect(calledAt).toEqual([]);
    expect(scheduler.status()).toMatchObject({ waiting: BURST, running: 0 });
    await t.clock.advance(1);
    while (calledAt.length < BURST) await t.clock.advance(0);
    expect(new Set(calledAt)).toEqual(new Set([at]));
    while ((await countSucceeded(scheduler)) < BURST) await t.clock.advance(0);
    // Quick attempts write their plan (which claims them) and their outcome: no start, no mark.
    expect(calls.get('executionsStart') ?? 0).toBe(0);
    expect(calls.get('executionsMarkRunning') ?? 0).toBe(0);
  });

  it('runs what does not fit in the slots as they free up: never more at once, every fire once', async () => {
    const t = testScheduler({ concurrency: 50, prefetch: 500 });
    scheduler = t.scheduler;
    const calls = new Map<string, number>();
    let running = 0;
    let most = 0;
    let done = 0;
    scheduler.setHandler(async (ctx) => {
      calls.set(ctx.job.id, (calls.get(ctx.job.id) ?? 0) + 1);
      most = Math.max(most, ++running);
      await new Promise<void>((resolve) => {
        t.clock.setTimeout(() => resolve(), 10);
        ctx.signal.addEventListener('abort', () => resolve());
      });
      running--;
      done++;
    });
    await scheduler.start();
    const at = t.clock.now() + 3_000;
    await oneShots(scheduler, 'b', 500, at);
    await t.clock.advance(at - t.clock.now());

    expect(calls.size).toBe(50);
    expect(scheduler.status()).toMatchObject({ queued: 450, running: 50 });
    for (let i = 0; i < 100 && done < 500; i++) await t.clock.advance(10);
    expect(calls.size).toBe(500);
    expect(most).toBe(50);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
  });

  it("writes a burst's outcomes as many batches at a time as the store serves, each fire's once", async () => {
    expect(await burstFinishes(2)).toEqual({ most: 2, once: true });
    expect(await burstFinishes(undefined)).toEqual({ most: 1, once: true });
  });
});
