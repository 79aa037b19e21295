import { describe, expect, test } from 'vitest';
import type { JobRecord, JobWrite } from '../../../src/stores/store.js';
import { T0, makeJobRecord, makeStats, marked } from '../records.js';
import {
  MIN,
  type Fixture,
  addJob,
  addExecution,
  mustGetJob,
  ids,
  definitionWith,
} from './fixture.js';

// ------------------------------------------------------------ job batches

function insertOf(job: JobRecord): JobWrite {
  return { job, expectedVersion: null, dropPlanned: false };
}

function updateOf(job: JobRecord, expectedVersion: number, dropPlanned = false): JobWrite {
  return { job, expectedVersion, dropPlanned };
}

function removalOf(job: JobRecord, expectedVersion = job.version): JobWrite {
  return { job, expectedVersion, dropPlanned: false, remove: true };
}

function byId(jobs: readonly JobRecord[]): JobRecord[] {
  return [...jobs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function jobBatchTests(fx: Fixture): void {
  describe('job batches', () => {
    test('jobsGet returns the jobs that exist, as copies, and leaves out the missing ids', async () => {
      const a = await addJob(fx.store, { definition: definitionWith({ n: 1 }) });
      const b = await addJob(fx.store, { paused: true, nextFireAt: null, version: 4 });
      await addJob(fx.store);
      const found = await fx.store.jobsGet({ ids: [b.id, 'missing', a.id, 'gone'] });
      expect(byId(found)).toEqual(byId([a, b]));
      found.forEach((job) => (job.definition.metadata['late'] = 'write'));
      expect(await mustGetJob(fx.store, a.id)).toEqual(a);
    });

    test('jobsGet of no ids, or of missing ones only, returns nothing', async () => {
      await addJob(fx.store);
      expect(await fx.store.jobsGet({ ids: [] })).toEqual([]);
      expect(await fx.store.jobsGet({ ids: ['nope', 'neither'] })).toEqual([]);
    });

    test('jobsGet of many ids returns all of them', async () => {
      const jobs = Array.from({ length: 1_200 }, (_, i) =>
        makeJobRecord({ id: `many-${String(i).padStart(4, '0')}` }),
      );
      expect(await fx.store.jobsWrite({ writes: jobs.map(insertOf) })).toEqual([]);
      const found = await fx.store.jobsGet({ ids: jobs.map((job) => job.id) });
      expect(byId(found)).toEqual(jobs);
    });

    test('jobsWrite inserts and updates in one call', async () => {
      const { store } = fx;
      const existing = await addJob(store);
      const first = makeJobRecord();
      const second = makeJobRecord({ paused: true, nextFireAt: null });
      const next = { ...existing, definition: marked(existing, '2'), version: 2, updatedAt: T0 };
      const writes = [insertOf(first), updateOf(next, 1), insertOf(second)];
      expect(await store.jobsWrite({ writes })).toEqual([]);
      expect(await store.jobGet({ id: existing.id })).toEqual(next);
      expect(await store.jobGet({ id: first.id })).toEqual(first);
      expect(await store.jobGet({ id: second.id })).toEqual(second);
    });

    test('jobsWrite of nothing writes nothing', async () => {
      expect(await fx.store.jobsWrite({ writes: [] })).toEqual([]);
      expect(await fx.store.jobsList({ limit: 10 })).toEqual([]);
    });

    test('a taken id among several inserts: its index is returned and nothing is written', async () => {
      const { store } = fx;
      const taken = await addJob(store);
      const others = [makeJobRecord(), makeJobRecord(), makeJobRecord()];
      const clash = makeJobRecord({ id: taken.id, version: 9 });
      const writes = [...others.slice(0, 2), clash, ...others.slice(2)].map(insertOf);
      expect(await store.jobsWrite({ writes })).toEqual([2]);
      for (const job of others) expect(await store.jobGet({ id: job.id })).toBeNull();
      expect(await store.jobGet({ id: taken.id })).toEqual(taken);
      expect(ids(await store.jobsList({ limit: 10 }))).toEqual([taken.id]);
    });

    test('every write that cannot be applied is returned, in order', async () => {
      const { store } = fx;
      const a = await addJob(store);
      const b = await addJob(store);
      const writes = [
        insertOf(makeJobRecord()),
        insertOf(makeJobRecord({ id: b.id })),
        updateOf({ ...a, version: 3 }, 2),
        updateOf(makeJobRecord({ version: 2 }), 1),
        updateOf({ ...b, definition: marked(b, 'changed'), version: 2 }, 1),
      ];
      expect(await store.jobsWrite({ writes })).toEqual([1, 2, 3]);
      expect(await store.jobGet({ id: a.id })).toEqual(a);
      expect(await store.jobGet({ id: b.id })).toEqual(b);
      expect(await store.jobsList({ limit: 10 })).toHaveLength(2);
    });

    test('a stale expectedVersion: its index is returned and nothing is written', async () => {
      const { store } = fx;
      const a = await addJob(store);
      const b = await addJob(store, { version: 5 });
      const planned = await addExecution(store, { jobId: a.id, fireAt: T0 });
      const fresh = makeJobRecord();
      const writes = [
        updateOf(
          { ...a, definition: marked(a, 'new'), version: 2, paused: true, nextFireAt: null },
          1,
          true,
        ),
        insertOf(fresh),
        updateOf({ ...b, definition: marked(b, 'new'), version: 5 }, 4),
      ];
      expect(await store.jobsWrite({ writes })).toEqual([2]);
      expect(await store.jobGet({ id: a.id })).toEqual(a);
      expect(await store.jobGet({ id: b.id })).toEqual(b);
      expect(await store.jobGet({ id: fresh.id })).toBeNull();
      // The update that failed with the batch dropped no planned fire either.
      expect(await store.executionGet({ id: planned.id })).toEqual(planned);
    });

    test('a write sees the ones before it: an insert then an update of the same job', async () => {
      const { store } = fx;
      const job = makeJobRecord();
      const next = { ...job, definition: marked(job, '2'), version: 2 };
      expect(await store.jobsWrite({ writes: [insertOf(job), updateOf(next, 1)] })).toEqual([]);
      expect(await store.jobGet({ id: job.id })).toEqual(next);
      const twice = makeJobRecord();
      expect(await store.jobsWrite({ writes: [insertOf(twice), insertOf(twice)] })).toEqual([1]);
      expect(await store.jobGet({ id: twice.id })).toBeNull();
    });

    test('dropPlanned works as in jobUpdate: planned fires go, a completed job reopens', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const other = await addJob(store);
      const done = await addJob(store, { nextFireAt: null, completedAt: T0 - 1_000 });
      const planned = await addExecution(store, { jobId: job.id, fireAt: T0 });
      const manual = await addExecution(store, { jobId: job.id, fireAt: T0, trigger: 'manual' });
      const finished = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 - MIN,
        status: 'succeeded',
        attempt: 1,
      });
      const otherPlanned = await addExecution(store, { jobId: other.id, fireAt: T0 });
      const lastFire = await addExecution(store, { jobId: done.id, fireAt: T0 });
      const kept = await addExecution(store, { jobId: other.id, fireAt: T0 + MIN });
      const paused = { ...job, version: 2, paused: true, nextFireAt: null };
      const reopened = { ...done, version: 2, paused: true };
      const untouched = { ...other, definition: marked(other, '2'), version: 2 };
      const writes = [
        updateOf(paused, 1, true),
        updateOf(reopened, 1, true),
        updateOf(untouched, 1),
      ];
      expect(await store.jobsWrite({ writes })).toEqual([]);

      expect(await store.executionGet({ id: planned.id })).toBeNull();
      expect(await store.executionGet({ id: manual.id })).toEqual(manual);
      expect(await store.executionGet({ id: finished.id })).toEqual(finished);
      expect(await store.executionGet({ id: lastFire.id })).toBeNull();
      expect(await store.executionGet({ id: otherPlanned.id })).toEqual(otherPlanned);
      expect(await store.executionGet({ id: kept.id })).toEqual(kept);
      expect(await mustGetJob(store, job.id)).toEqual(paused);
      expect(await mustGetJob(store, done.id)).toEqual({ ...reopened, completedAt: null });
      expect(await mustGetJob(store, other.id)).toEqual(untouched);
    });

    test('a removal deletes the job and all its executions, beside inserts and updates', async () => {
      const { store } = fx;
      const gone = await addJob(store, { version: 3 });
      const kept = await addJob(store);
      const fires = [
        await addExecution(store, { jobId: gone.id, fireAt: T0 }),
        await addExecution(store, { jobId: gone.id, fireAt: T0 - MIN, status: 'succeeded' }),
        await addExecution(store, { jobId: gone.id, fireAt: T0, trigger: 'manual' }),
      ];
      const keptFire = await addExecution(store, { jobId: kept.id, fireAt: T0 });
      const fresh = makeJobRecord();
      const next = { ...kept, definition: marked(kept, '2'), version: 2 };
      const writes = [insertOf(fresh), removalOf(gone), updateOf(next, 1)];
      expect(await store.jobsWrite({ writes })).toEqual([]);
      expect(await store.jobGet({ id: gone.id })).toBeNull();
      for (const fire of fires) expect(await store.executionGet({ id: fire.id })).toBeNull();
      expect(await store.executionGet({ id: keptFire.id })).toEqual(keptFire);
      expect(byId(await store.jobsList({ limit: 10 }))).toEqual(byId([fresh, next]));
    });

    test('a removal whose version moved, or whose job is gone, fails and nothing is written', async () => {
      const { store } = fx;
      const a = await addJob(store, { version: 2 });
      const b = await addJob(store);
      const fire = await addExecution(store, { jobId: b.id, fireAt: T0 });
      const fresh = makeJobRecord();
      const writes = [removalOf(b), removalOf(a, 1), insertOf(fresh), removalOf(makeJobRecord())];
      expect(await store.jobsWrite({ writes })).toEqual([1, 3]);
      expect(await store.jobGet({ id: a.id })).toEqual(a);
      expect(await store.jobGet({ id: b.id })).toEqual(b);
      expect(await store.executionGet({ id: fire.id })).toEqual(fire);
      expect(await store.jobGet({ id: fresh.id })).toBeNull();
    });

    test('jobsWrite leaves what the store keeps as it is, like jobUpdate', async () => {
      const { store } = fx;
      const job = await addJob(store, {
        stats: makeStats({ succeeded: 3, lastSuccessAt: T0 - MIN }),
        staleSince: T0 - 5,
        pruneAfter: T0 + 5,
      });
      const next = {
        ...job,
        definition: marked(job, '2'),
        version: 2,
        stats: makeStats(),
        staleSince: null,
        pruneAfter: null,
      };
      expect(
        await store.jobsWrite({ writes: [updateOf(next, 1), insertOf(makeJobRecord())] }),
      ).toEqual([]);
      expect(await mustGetJob(store, job.id)).toEqual({
        ...next,
        stats: job.stats,
        staleSince: job.staleSince,
        pruneAfter: job.pruneAfter,
      });
    });
  });
}
