import { describe, expect, test } from 'vitest';
import { T0, makeExecutionRecord } from '../records.js';
import { MIN, type Fixture, addJob, mustGet, mustGetJob } from './fixture.js';
import { updateJob } from '../../helpers/jobs.js';

// ------------------------------------------------------------- backfilled fires

export function backfillTests(fx: Fixture): void {
  describe('executionsInsert (backfills)', () => {
    test('inserts the fires not in the ledger, returns their ids in order, and keeps the backfill mark', async () => {
      const job = await addJob(fx.store);
      const ran = makeExecutionRecord({ jobId: job.id, fireAt: T0 + MIN, status: 'succeeded' });
      await fx.store.executionInsert({ execution: ran });
      const fires = [0, 1, 2].map((k) =>
        makeExecutionRecord({
          jobId: job.id,
          fireAt: T0 + k * MIN,
          runAt: T0 + 5 * MIN,
          backfill: true,
        }),
      );
      const ghost = makeExecutionRecord({ jobId: 'ghost', fireAt: T0, backfill: true });
      const [first, second, third] = fires;
      const inserted = await fx.store.executionsInsert({ executions: [...fires, ghost] });
      expect(inserted).toEqual([first?.id, third?.id]);
      expect(await mustGet(fx.store, first?.id ?? '')).toEqual(first);
      expect(await fx.store.executionGet({ id: second?.id ?? '' })).toBeNull();
      expect(await fx.store.executionGet({ id: ghost.id })).toBeNull();
      expect((await mustGet(fx.store, ran.id)).backfill).toBeUndefined();
      const again = fires.map((f) => ({ ...f, id: `${f.id}-again` }));
      expect(await fx.store.executionsInsert({ executions: again })).toEqual([]);
      expect(await fx.store.executionsInsert({ executions: [] })).toEqual([]);
    });

    test('a pause (dropPlanned) deletes planned fires but leaves backfilled ones', async () => {
      const job = await addJob(fx.store, { nextFireAt: null });
      const planned = makeExecutionRecord({ jobId: job.id, fireAt: T0 - 2 * MIN });
      const backfilled = makeExecutionRecord({ jobId: job.id, fireAt: T0 - MIN, backfill: true });
      await fx.store.executionInsert({ execution: planned });
      await fx.store.executionsInsert({ executions: [backfilled] });
      const current = await mustGetJob(fx.store, job.id);
      await updateJob(fx.store, {
        job: { ...current, paused: true, version: current.version + 1 },
        expectedVersion: current.version,
        dropPlanned: true,
      });
      expect(await fx.store.executionGet({ id: planned.id })).toBeNull();
      expect(await mustGet(fx.store, backfilled.id)).toEqual(backfilled);
    });
  });
}
