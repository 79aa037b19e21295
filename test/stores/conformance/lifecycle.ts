import { describe, expect, test } from 'vitest';
import { T0, makeAttempt, makeLastOutcome, makeStats } from '../records.js';
import {
  MIN,
  HOUR,
  type Fixture,
  addJob,
  addExecution,
  runningBy,
  claim,
  start,
  ids,
  claimedIds,
  definitionWith,
} from './fixture.js';

// -------------------------------------------------------------- lifecycle

export function lifecycleTests(fx: Fixture): void {
  describe('lifecycle', () => {
    test('names itself and states its capabilities', () => {
      expect(fx.store.name).toMatch(/^[a-z]+$/);
      expect(typeof fx.store.capabilities.notify).toBe('boolean');
      const lanes = fx.store.capabilities.finishLanes ?? 1;
      expect(Number.isInteger(lanes) && lanes >= 1).toBe(true);
    });

    test('open() and close() are idempotent', async () => {
      await fx.store.open();
      await fx.store.open();
      const job = await addJob(fx.store);
      expect(await fx.store.jobGet({ id: job.id })).toEqual(job);
      await fx.store.close();
      await fx.store.close();
    });

    test('data survives close and reopen (durable stores)', async (ctx) => {
      const { durable, reopen } = fx.harness;
      if (!durable) ctx.skip();
      if (!reopen) throw new Error('a durable store must provide reopen()');
      const job = await addJob(fx.store, {
        lastOutcome: makeLastOutcome(),
        definition: definitionWith({ x: 'ü' }),
        staleAfterMs: HOUR,
        stats: makeStats({ lastFireAt: T0 - 3 * MIN, lastSuccessAt: T0 - MIN, succeeded: 4 }),
        staleSince: T0 - 5,
        pruneAfter: T0 + HOUR,
      });
      const planned = await addExecution(fx.store, { jobId: job.id, fireAt: T0, payload: null });
      const held = await addExecution(fx.store, {
        jobId: job.id,
        fireAt: T0 - MIN,
        ...runningBy('a', 3),
      });
      const done = await addExecution(fx.store, {
        jobId: job.id,
        fireAt: T0 - 2 * MIN,
        status: 'succeeded',
        attempt: 1,
        attempts: [makeAttempt()],
        result: { ok: [1, 'two'] },
        finishedAt: T0,
      });
      await fx.store.close();

      const again = await reopen();
      await again.open();
      try {
        expect(await again.jobGet({ id: job.id })).toEqual(job);
        for (const e of [planned, held, done])
          expect(await again.executionGet({ id: e.id })).toEqual(e);
        expect(ids(await again.jobsDue({ before: T0, limit: 10 }))).toEqual([job.id]);
        expect(claimedIds(await claim(again, 'b'))).toEqual([planned.id]);
        expect(await again.executionsStart({ starts: [start(held)] })).toEqual(['started']);
      } finally {
        await again.close();
      }
    });
  });
}
