/**
 * The wake-up test of a store with `capabilities.notify`, for every such
 * store: a job ensured on instance A with a fire 300 ms ahead runs on
 * instance B at its instant although B polls only every 30 s.
 */
import { expect } from 'vitest';
import { createScheduler, once, type Scheduler, type Store } from '../../src/index.js';
import type { StoreChange } from '../../src/stores/store.js';
import { until } from './events.js';
import { silent } from './scheduler.js';
import { watchChanges } from './store-changes.js';

/**
 * Runs the test on stores from `makeStore` (each call a new store on the same
 * data); `listening` resolves once B's store hears changes and B sleeps.
 * Schedulers go to `schedulers` (for the caller to stop), the hogs' release to `cleanups`.
 */
export async function expectWokenAcross(
  makeStore: () => Store,
  listening: (changes: StoreChange[]) => Promise<void>,
  schedulers: Scheduler[],
  cleanups: (() => void)[],
): Promise<void> {
  // A cannot take the job: with concurrency 1 it holds at most 2 executions (one
  // running, one queued behind it), and two long "hog" fires fill both. It still
  // plans the job (unleased, for others to claim) — or B plans it first. Either
  // way only B can run it, and B, sleeping up to 30 s between polls, hears of it
  // only through the store's notification.
  const a = createScheduler({
    store: makeStore(),
    instanceId: 'a',
    concurrency: 1,
    logger: silent,
  });
  schedulers.push(a);
  let releaseHogs: () => void = () => undefined;
  const hogs = new Promise<void>((resolve) => (releaseHogs = resolve));
  cleanups.push(() => releaseHogs());
  a.handle('hog', () => hogs);
  const ranOnA: string[] = [];
  a.setHandler((ctx) => void ranOnA.push(ctx.job.id));
  await a.start();
  const hogAt = new Date(Date.now() + 200);
  for (const id of ['hog-1', 'hog-2'])
    await a.ensureJob({ id, schedule: once(hogAt), target: { type: 'handler', name: 'hog' } });
  await until(() => a.status().running === 1 && a.status().held === 2, 5_000, 'A full');

  const changes: StoreChange[] = [];
  const b = createScheduler({
    store: watchChanges(makeStore(), changes),
    instanceId: 'b',
    pollIntervalMs: 30_000,
    logger: silent,
  });
  schedulers.push(b);
  const ranOnB: { jobId: string; lateMs: number }[] = [];
  b.setHandler(
    (ctx) => void ranOnB.push({ jobId: ctx.job.id, lateMs: Date.now() - ctx.fireAt.getTime() }),
  );
  await b.start();
  await listening(changes);

  const fireAt = Date.now() + 300;
  await a.ensureJob({ id: 'notify-me', schedule: once(new Date(fireAt)) });
  await until(() => ranOnB.length > 0, 3_000, 'B fires the job');
  expect(ranOnB).toEqual([{ jobId: 'notify-me', lateMs: expect.any(Number) }]);
  expect(ranOnB[0]?.lateMs).toBeGreaterThanOrEqual(0);
  expect(ranOnB[0]?.lateMs).toBeLessThanOrEqual(250);
  expect(changes.some((c) => c.dueAt === fireAt)).toBe(true); // what B heard
  expect(ranOnA).toEqual([]);
  releaseHogs();
}
