import { describe, expect, test } from 'vitest';
import { T0, iso, makeAttempt, makeJobRecord, makeLastOutcome, marked } from '../records.js';
import {
  MIN,
  HOUR,
  type Fixture,
  addJob,
  addExecution,
  mustGetJob,
  leased,
  runningBy,
  ids,
  sorted,
  definitionWith,
} from './fixture.js';
import { insertJob, updateJob } from '../../helpers/jobs.js';

// ------------------------------------------------------------------- jobs

export function jobTests(fx: Fixture): void {
  describe('jobs', () => {
    test('jobGet returns null for an unknown id', async () => {
      expect(await fx.store.jobGet({ id: 'nope' })).toBeNull();
    });

    test('jobInsert stores the record as given', async () => {
      const job = makeJobRecord({
        definition: {
          schedule: { kind: 'cron', expr: '0 3 * * *', tz: 'Europe/Berlin' },
          target: { type: 'handler', name: 'send-report' },
          payload: { user: 42, tags: ['a', 'b'], deep: { x: null } },
          metadata: { kind: 'reminder', 'app.kubernetes.io/name': 'web' },
          retry: { maxAttempts: 5 },
          overlap: 'forbid',
          anchorAt: iso(T0 - MIN),
        },
        paused: true,
        nextFireAt: null,
        version: 7,
        completedAt: T0 + 5,
        lastOutcome: makeLastOutcome({ status: 'failed', error: 'boom' }),
        staleAfterMs: 2 * HOUR,
        stats: {
          lastFireAt: T0 - MIN,
          lastSuccessAt: T0 - 2 * MIN,
          lastFailureAt: T0 - 30_000,
          succeeded: 12,
          failed: 3,
          missed: 2,
          skipped: 1,
        },
        staleSince: T0 - 7,
        pruneAfter: T0 + 9,
      });
      expect(await insertJob(fx.store, job)).toBe(true);
      expect(await fx.store.jobGet({ id: job.id })).toEqual(job);
    });

    test('jobInsert returns false for a taken id and keeps the first record', async () => {
      const job = await addJob(fx.store);
      const other = makeJobRecord({ id: job.id, version: 9 });
      expect(await insertJob(fx.store, other)).toBe(false);
      expect(await fx.store.jobGet({ id: job.id })).toEqual(job);
    });

    test('records go in and come out as copies', async () => {
      const job = await addJob(fx.store, { definition: definitionWith({ n: 1 }) });
      job.definition.metadata['late'] = 'write';
      const read = await mustGetJob(fx.store, job.id);
      expect(read.definition.metadata).toEqual({});
      read.definition.payload = 'changed';
      expect((await mustGetJob(fx.store, job.id)).definition.payload).toEqual({ n: 1 });
    });

    test('jobUpdate replaces the job when the version matches', async () => {
      const job = await addJob(fx.store);
      const next = {
        ...job,
        definition: { ...job.definition, metadata: { a: 'b' } },
        paused: true,
        nextFireAt: null,
        version: 2,
        updatedAt: T0,
      };
      expect(await updateJob(fx.store, { job: next, expectedVersion: 1, dropPlanned: false })).toBe(
        true,
      );
      expect(await fx.store.jobGet({ id: job.id })).toEqual(next);
    });

    test('jobUpdate with a stale version changes nothing', async () => {
      const job = await addJob(fx.store);
      const first = { ...job, definition: marked(job, 'first'), version: 2 };
      const second = { ...job, definition: marked(job, 'second'), version: 2 };
      expect(
        await updateJob(fx.store, { job: first, expectedVersion: 1, dropPlanned: false }),
      ).toBe(true);
      expect(
        await updateJob(fx.store, { job: second, expectedVersion: 1, dropPlanned: false }),
      ).toBe(false);
      expect(await fx.store.jobGet({ id: job.id })).toEqual(first);
    });

    test('jobUpdate of an unknown job returns false and creates nothing', async () => {
      const job = makeJobRecord();
      expect(await updateJob(fx.store, { job, expectedVersion: 1, dropPlanned: true })).toBe(false);
      expect(await fx.store.jobGet({ id: job.id })).toBeNull();
    });

    test('jobUpdate with dropPlanned deletes only the planned fires nobody holds', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const other = await addJob(store);
      const planned = await addExecution(store, { jobId: job.id, fireAt: T0 });
      const kept = [
        // Claimed: it runs at its instant (its holder learns nothing of the change).
        await addExecution(store, { jobId: job.id, fireAt: T0 + MIN, ...leased('a', 1) }),
        await addExecution(store, { jobId: job.id, fireAt: T0 + 2 * MIN, trigger: 'manual' }),
        await addExecution(store, {
          jobId: job.id,
          fireAt: T0 - MIN,
          attempt: 1,
          runAt: T0 + 5_000,
          attempts: [makeAttempt({ outcome: 'failed' })],
        }),
        await addExecution(store, { jobId: job.id, fireAt: T0 - 2 * MIN, ...runningBy('a', 1) }),
        await addExecution(store, {
          jobId: job.id,
          fireAt: T0 - 3 * MIN,
          status: 'succeeded',
          attempt: 1,
        }),
        await addExecution(store, { jobId: job.id, fireAt: T0 - 4 * MIN, status: 'missed' }),
      ];
      const otherPlanned = await addExecution(store, { jobId: other.id, fireAt: T0 });

      const next = { ...job, version: 2, paused: true };
      expect(await updateJob(store, { job: next, expectedVersion: 1, dropPlanned: true })).toBe(
        true,
      );

      const left = await store.executionsList({ jobId: job.id, limit: 100 });
      expect(sorted(ids(left))).toEqual(sorted(ids(kept)));
      expect(await store.executionGet({ id: planned.id })).toBeNull();
      expect(await store.executionGet({ id: otherPlanned.id })).toEqual(otherPlanned);
    });

    test('dropping the planned last fire of a completed job reopens it; dropping nothing does not', async () => {
      const { store } = fx;
      const once = await addJob(store, { nextFireAt: null, completedAt: T0 - 1_000 });
      await addExecution(store, { jobId: once.id, fireAt: T0 });
      const paused = { ...once, version: 2, paused: true };
      expect(await updateJob(store, { job: paused, expectedVersion: 1, dropPlanned: true })).toBe(
        true,
      );
      expect(await mustGetJob(store, once.id)).toEqual({ ...paused, completedAt: null });

      const done = await addJob(store, { nextFireAt: null, completedAt: T0 - 1_000 });
      await addExecution(store, { jobId: done.id, fireAt: T0, status: 'succeeded', attempt: 1 });
      const next = { ...done, version: 2, paused: true };
      expect(await updateJob(store, { job: next, expectedVersion: 1, dropPlanned: true })).toBe(
        true,
      );
      expect(await mustGetJob(store, done.id)).toEqual(next);
    });

    test('jobUpdate keeps planned fires without dropPlanned, or when its version is stale', async () => {
      const job = await addJob(fx.store);
      const planned = await addExecution(fx.store, { jobId: job.id, fireAt: T0 });
      const stale = { ...job, version: 5 };
      expect(await updateJob(fx.store, { job: stale, expectedVersion: 4, dropPlanned: true })).toBe(
        false,
      );
      expect(await fx.store.executionGet({ id: planned.id })).toEqual(planned);
      const next = { ...job, version: 2 };
      expect(await updateJob(fx.store, { job: next, expectedVersion: 1, dropPlanned: false })).toBe(
        true,
      );
      expect(await fx.store.executionGet({ id: planned.id })).toEqual(planned);
    });

    test('a dropped fire can be planned again', async () => {
      const job = await addJob(fx.store);
      await addExecution(fx.store, { jobId: job.id, fireAt: T0 });
      await updateJob(fx.store, {
        job: { ...job, version: 2 },
        expectedVersion: 1,
        dropPlanned: true,
      });
      const again = await addExecution(fx.store, { jobId: job.id, fireAt: T0 });
      expect(await fx.store.executionGet({ id: again.id })).toEqual(again);
    });

    test('jobDelete removes the job and all its executions, and only those', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const other = await addJob(store);
      const mine = [
        await addExecution(store, { jobId: job.id, fireAt: T0 }),
        await addExecution(store, {
          jobId: job.id,
          fireAt: T0 - MIN,
          status: 'succeeded',
          attempt: 1,
        }),
        await addExecution(store, {
          jobId: job.id,
          fireAt: T0,
          trigger: 'manual',
          ...leased('a', 1),
        }),
      ];
      const theirs = await addExecution(store, { jobId: other.id, fireAt: T0 });
      expect(await store.jobDelete({ id: job.id })).toBe(true);
      expect(await store.jobGet({ id: job.id })).toBeNull();
      for (const e of mine) expect(await store.executionGet({ id: e.id })).toBeNull();
      expect(await store.executionsList({ jobId: job.id, limit: 10 })).toEqual([]);
      expect(await store.executionGet({ id: theirs.id })).toEqual(theirs);
      expect(await store.jobGet({ id: other.id })).toEqual(other);

      // The id and its fires are free again.
      await addJob(store, { id: job.id });
      const refire = await addExecution(store, { jobId: job.id, fireAt: T0 });
      expect(await store.executionGet({ id: refire.id })).toEqual(refire);
    });

    test('jobDelete returns false for an unknown job', async () => {
      expect(await fx.store.jobDelete({ id: 'nope' })).toBe(false);
    });
  });
}
