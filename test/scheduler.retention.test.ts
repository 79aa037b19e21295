import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createScheduler,
  every,
  memoryStore,
  sqliteStore,
  TestClock,
  type Scheduler,
  type Store,
} from '../src/index.js';
import { collect } from './helpers/events.js';
import { tempDir } from './helpers/files.js';
import { silent } from './helpers/scheduler.js';

const START = Date.parse('2026-03-02T10:00:00Z');

/** Every execution of a job, all pages. */
async function allExecutions(scheduler: Scheduler, jobId: string) {
  const items = [];
  let cursor: string | undefined;
  do {
    const page = await scheduler.listExecutions({
      jobId,
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

describe('retention and statistics', () => {
  const stops: (() => Promise<void>)[] = [];
  let cleanup: (() => void) | undefined;
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    cleanup?.();
  });

  function scheduler(store: Store, clock: TestClock, retention = {}) {
    const s = createScheduler({ store, clock, logger: silent, retention });
    s.setHandler(() => undefined);
    stops.push(() => s.stop({ timeoutMs: 0 }));
    return s;
  }

  it('keeps exactly the keepLast newest finished executions of a job fired 201 times; its counts read 201', async () => {
    const clock = new TestClock(START);
    const s = scheduler(memoryStore(), clock);
    await s.start();
    await s.ensureJob({
      id: 'tick',
      schedule: every('1s', { startAt: new Date(START + 1_000) }),
      retention: { keepLast: 10 },
    });
    for (let i = 0; i < 200; i++) await clock.advance(1_000);
    await s.pauseJob('tick'); // the fire claimed ahead (+201 s) still runs
    await clock.advance(120_000); // maintenance passes run
    const kept = await allExecutions(s, 'tick');
    expect(kept.map((e) => e.status)).toEqual(Array(10).fill('succeeded'));
    expect(kept.map((e) => Date.parse(e.fireAt) - START)).toEqual(
      [201, 200, 199, 198, 197, 196, 195, 194, 193, 192].map((k) => k * 1_000),
    );
    const job = await s.getJob('tick');
    expect(job?.stats).toMatchObject({ succeeded: 201, failed: 0, missed: 0, skipped: 0 });
    expect(job?.stats.lastFireAt).toBe(new Date(START + 201_000).toISOString());
    expect(job?.stats.lastSuccessAt).not.toBeNull();
  });

  it('uses the scheduler-wide keepLast for jobs that name none', async () => {
    const clock = new TestClock(START);
    const s = scheduler(memoryStore(), clock, { keepLast: 3 });
    await s.start();
    await s.ensureJob({ id: 'd', schedule: every('1s', { startAt: new Date(START + 1_000) }) });
    for (let i = 0; i < 20; i++) await clock.advance(1_000);
    await s.pauseJob('d');
    await clock.advance(120_000);
    expect(await allExecutions(s, 'd')).toHaveLength(3);
  });

  it('never prunes a running execution', async () => {
    const clock = new TestClock(START);
    const s = createScheduler({ store: memoryStore(), clock, logger: silent });
    stops.push(() => s.stop({ timeoutMs: 0 }));
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    s.handle('slow', async () => blocked);
    s.handle('quick', () => undefined);
    await s.start();
    await s.ensureJob({
      id: 'mixed',
      schedule: every('1s', { startAt: new Date(START + 1_000) }),
      target: { type: 'handler', name: 'quick' },
      retention: { keepLast: 0, maxAge: 0 },
    });
    await clock.advance(1_000);
    await s.ensureJob({
      id: 'mixed',
      schedule: every('1s', { startAt: new Date(START + 1_000) }),
      target: { type: 'handler', name: 'slow' },
      retention: { keepLast: 0, maxAge: 0 },
      overlap: 'forbid',
      timeout: '1h',
    });
    await clock.advance(5_000);
    await s.pauseJob('mixed');
    await clock.advance(120_000);
    const left = await allExecutions(s, 'mixed');
    expect(left.map((e) => e.status)).toEqual(['running']);
    release();
  });

  it('a pruning pass lets the event loop turn between its jobs (a synchronous store does not block the instants)', async () => {
    const clock = new TestClock(START);
    const s = scheduler(memoryStore(), clock, { keepLast: 1 });
    await s.start();
    const ids = ['p1', 'p2', 'p3'];
    for (const id of ids)
      await s.ensureJob({ id, schedule: every('1s', { startAt: new Date(START + 1_000) }) });
    for (let i = 0; i < 5; i++) await clock.advance(1_000);
    for (const id of ids) await s.pauseJob(id);
    // Something queued for the next turn of the loop while the pass runs: it runs after the
    // pass's first job, not after its last.
    const pruned: string[] = [];
    let prunedBeforeNextTurn: number | undefined;
    s.on('history:pruned', ({ jobId }) => {
      if (pruned.push(jobId) === 1) setImmediate(() => (prunedBeforeNextTurn = pruned.length));
    });
    await clock.advance(120_000);
    expect(pruned.sort()).toEqual(ids);
    expect(prunedBeforeNextTurn).toBe(1);
    for (const id of ids) expect(await allExecutions(s, id)).toHaveLength(1);
  });

  it('prunes by maxAge on the injected clock, and the counts stay', async () => {
    const clock = new TestClock(START);
    const s = scheduler(memoryStore(), clock);
    await s.start();
    await s.ensureJob({
      id: 'aged',
      schedule: every('1m', { startAt: new Date(START + 60_000) }),
      retention: { maxAge: '1h' },
    });
    await clock.advance(10 * 60_000);
    await s.pauseJob('aged');
    expect(await allExecutions(s, 'aged')).toHaveLength(10);
    await clock.advance(45 * 60_000); // the oldest is 54 min old: all kept
    expect(await allExecutions(s, 'aged')).toHaveLength(10);
    await clock.advance(20 * 60_000); // now 74 min after the first fire, 65 min after the last
    expect(await allExecutions(s, 'aged')).toHaveLength(0);
    expect((await s.getJob('aged'))?.stats.succeeded).toBe(10);
  });

  it('reports a job that goes without success for its staleAfter, once, and again after a new success', async () => {
    const clock = new TestClock(START);
    const s = createScheduler({ store: memoryStore(), clock, logger: silent });
    stops.push(() => s.stop({ timeoutMs: 0 }));
    let failing = true;
    s.setHandler(() => {
      if (failing) throw new Error('down');
    });
    const stale = collect(s, 'job:stale');
    await s.start();
    await s.ensureJob({
      id: 'watched',
      schedule: every('1m', { startAt: new Date(START + 60_000) }),
      staleAfter: '5m',
      retry: { maxAttempts: 1 },
    });
    await clock.advance(4 * 60_000);
    expect(stale).toHaveLength(0);
    await clock.advance(3 * 60_000);
    expect(stale.map((e) => e.jobId)).toEqual(['watched']);
    expect((await s.getJob('watched'))?.staleSince).not.toBeNull();
    await clock.advance(5 * 60_000);
    expect(stale).toHaveLength(1); // reported once per episode
    failing = false;
    await clock.advance(60_000);
    expect((await s.getJob('watched'))?.staleSince).toBeNull();
    failing = true;
    await clock.advance(7 * 60_000);
    expect(stale).toHaveLength(2);
  });

  it('two instances pruning one SQLite file while jobs fire: every fire runs, each pruned row is deleted once', async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    const path = join(tmp.dir, 'chime.db');
    const clock = new TestClock(START);
    const fired = new Map<string, number>();
    const instances = [0, 1].map(() => {
      const s = createScheduler({
        store: sqliteStore({ path }),
        clock,
        logger: silent,
        concurrency: 20,
      });
      s.setHandler(
        (ctx) =>
          void fired.set(
            `${ctx.job.id}@${ctx.fireAt.getTime()}`,
            (fired.get(`${ctx.job.id}@${ctx.fireAt.getTime()}`) ?? 0) + 1,
          ),
      );
      stops.push(() => s.stop({ timeoutMs: 0 }));
      return s;
    });
    const pruned = instances.map((s) => collect(s, 'history:pruned'));
    for (const s of instances) await s.start();
    const [a] = instances as [Scheduler, Scheduler];
    for (let j = 0; j < 10; j++) {
      await a.ensureJob({
        id: `j${j}`,
        schedule: every('1s', { startAt: new Date(START + 1_000) }),
        retention: { keepLast: 5 },
      });
    }
    for (let i = 0; i < 120; i++) await clock.advance(1_000);
    for (let j = 0; j < 10; j++) await a.pauseJob(`j${j}`);
    await clock.advance(120_000);
    expect([...fired.values()].every((n) => n === 1)).toBe(true);
    const perJob = new Map<string, number>();
    for (const key of fired.keys())
      perJob.set(key.split('@')[0] ?? '', (perJob.get(key.split('@')[0] ?? '') ?? 0) + 1);
    let created = 0;
    for (let j = 0; j < 10; j++) {
      const fires = perJob.get(`j${j}`) ?? 0;
      expect(fires).toBeGreaterThanOrEqual(119);
      created += fires;
      expect(await allExecutions(a, `j${j}`)).toHaveLength(5);
      expect((await a.getJob(`j${j}`))?.stats.succeeded).toBe(fires);
    }
    const deleted = pruned.flat().reduce((sum, e) => sum + e.deleted, 0);
    expect(deleted).toBe(created - 10 * 5);
  });
});
