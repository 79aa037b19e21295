import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createScheduler,
  every,
  memoryStore,
  once,
  sqliteStore,
  TestClock,
  type Scheduler,
} from '../src/index.js';
import { fireJitter } from '../src/engine/policies.js';
import { waitFor } from './helpers/events.js';
import { tempDir } from './helpers/files.js';
import { silent } from './helpers/scheduler.js';
import { makeExecutionRecord, makeJobRecord } from './stores/records.js';
import { insertJob } from './helpers/jobs.js';

const START = Date.parse('2026-03-02T10:00:00Z');

describe('state that survives a restart', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => cleanup?.());

  it('a paused job stays paused across a restart on the same SQLite file, and resumes from then on', async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    const path = join(tmp.dir, 'chime.db');
    const clock = new TestClock(START);
    const first = createScheduler({ store: sqliteStore({ path }), clock, logger: silent });
    first.setHandler(() => undefined);
    await first.start();
    await first.ensureJob({ id: 'p', schedule: every('1s', { startAt: new Date(START + 500) }) });
    await first.pauseJob('p');
    await first.stop();

    const second = createScheduler({ store: sqliteStore({ path }), clock, logger: silent });
    const ran: number[] = [];
    second.setHandler((ctx) => void ran.push(ctx.fireAt.getTime() - START));
    await second.start();
    expect(await second.getJob('p')).toMatchObject({ paused: true, nextFireAt: null });
    await clock.advance(5_000);
    expect(ran).toEqual([]);
    await second.resumeJob('p');
    const done = waitFor(second, 'execution:succeeded');
    await clock.advance(1_000);
    await done;
    expect(ran).toEqual([5_500]); // from the resume on, on the job's own phase
    await second.stop();
  });

  it('delivers a pending onFailure left behind by an instance that died before delivering it', async () => {
    const store = memoryStore();
    await store.open();
    const job = makeJobRecord({
      id: 'dl',
      definition: {
        schedule: once(new Date(START)),
        target: { type: 'handler', name: 'work' },
        onFailure: { type: 'handler', name: 'letters' },
        metadata: {},
      },
      nextFireAt: null,
    });
    await insertJob(store, job);
    const failed = makeExecutionRecord({
      jobId: 'dl',
      fireAt: START,
      runAt: START,
      status: 'failed',
      attempt: 3,
      error: { message: 'gave up' },
      onFailure: 'pending',
      leaseOwner: 'dead-instance',
      leaseUntil: START - 1,
      leaseToken: 4,
      finishedAt: START,
    });
    await store.executionInsert({ execution: failed });
    const clock = new TestClock(START + 60_000);
    const scheduler = createScheduler({ store, clock, logger: silent, leaseMs: 3_000 });
    const letters: unknown[] = [];
    scheduler.handle('letters', (ctx) => void letters.push(ctx.payload));
    await scheduler.start();
    const delivered = waitFor(scheduler, 'execution:on-failure');
    await clock.advance(1_000); // the reaper's first pass takes the expired lease over
    expect((await delivered).delivered).toBe(true);
    expect(letters).toEqual([
      expect.objectContaining({ executionId: failed.id, error: { message: 'gave up' } }),
    ]);
    expect(await scheduler.getExecution(failed.id)).toMatchObject({
      status: 'failed',
      onFailure: 'delivered',
    });
    await clock.advance(10_000);
    expect(letters).toHaveLength(1);
    await scheduler.stop();
  });
});

describe('deterministic jitter', () => {
  it('delays each fire by the same amount for the same (job, fireAt), within the bound', async () => {
    const delays: number[][] = [];
    for (let run = 0; run < 2; run++) {
      const clock = new TestClock(START);
      const scheduler = createScheduler({ store: memoryStore(), clock, logger: silent });
      const seen: number[] = [];
      scheduler.setHandler((ctx) => void seen.push(clock.now() - ctx.fireAt.getTime()));
      await scheduler.start();
      await scheduler.ensureJob({
        id: 'j',
        schedule: every('10s', { startAt: new Date(START + 1_000) }),
        jitter: '5s',
      });
      await clock.advance(60_000);
      await scheduler.stop();
      delays.push(seen);
    }
    expect(delays[0]).toEqual(delays[1]);
    expect(delays[0]).toHaveLength(6);
    expect(new Set(delays[0]).size).toBeGreaterThan(1);
    for (const d of delays[0] ?? []) expect(d).toBeGreaterThanOrEqual(0);
    for (const d of delays[0] ?? []) expect(d).toBeLessThan(5_000);
    expect(delays[0]?.[0]).toBe(fireJitter('j', START + 1_000, 5_000));
  });
});

describe('Symbol.asyncDispose', () => {
  it('stops the scheduler at the end of an `await using` scope', async () => {
    let escaped: Scheduler | undefined;
    {
      await using scheduler = createScheduler({
        store: memoryStore(),
        clock: new TestClock(START),
        logger: silent,
      });
      await scheduler.start();
      await scheduler.ensureJob({ id: 'x', schedule: every('1m') });
      escaped = scheduler;
    }
    await expect(escaped.getJob('x')).rejects.toMatchObject({
      code: 'CHIME_ERR_SCHEDULER_STOPPED',
    });
  });
});
