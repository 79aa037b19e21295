/**
 * The NATS store's batch of job writes beside the store's own writes of the
 * same documents: a plan (or an end, a prune) rewrites a job's document
 * without changing its version, between the batch's read of it and its
 * compare-and-set. That is no conflict: the batch writes its change onto the
 * document as it is now, keeping what the plan wrote, instead of failing and
 * putting back what it wrote already.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { JobPlan, JobRecord } from '../../src/stores/store.js';
import { serviceAvailable } from '../helpers/services.js';
import { freshPrefix, natsStores, planAtT0 } from './nats-fixture.js';
import { makeExecutionRecord, makeJobRecord, T0 } from './records.js';

const available = await serviceAvailable('nats');
const JOBS = 300;

/** Plans of the jobs' fire at T0 (made on their version), leased to 'planner'. */
function plansOf(jobs: JobRecord[]): JobPlan[] {
  return jobs.map((job) =>
    planAtT0(
      job,
      makeExecutionRecord({
        jobId: job.id,
        fireAt: T0,
        leaseOwner: 'planner',
        leaseUntil: T0 + 30_000,
        leaseToken: 1,
      }),
    ),
  );
}

/** {@link JOBS} jobs `job-000` …, due at T0, in id order. */
function numberedJobs(): JobRecord[] {
  return Array.from({ length: JOBS }, (_, i) =>
    makeJobRecord({ id: `job-${String(i).padStart(3, '0')}`, nextFireAt: T0 }),
  );
}

describe.skipIf(!available)('nats store: a batch of job writes meeting plans', () => {
  const { makeStore, cleanup } = natsStores();
  afterEach(cleanup);

  /** Two open stores on one fresh prefix: the batch's writer, and a planner beside it. */
  async function writerAndPlanner() {
    const prefix = freshPrefix();
    const [writer, planner] = [makeStore({ prefix }), makeStore({ prefix })];
    await Promise.all([writer.open(), planner.open()]);
    return { writer, planner };
  }

  test('a plan that rewrites a job between the batch’s read and its write is kept, and the batch applies whole', async () => {
    const { writer, planner } = await writerAndPlanner();
    const jobs = numberedJobs();
    expect(
      await writer.jobsWrite({
        writes: jobs.map((job) => ({ job, expectedVersion: null, dropPlanned: false })),
      }),
    ).toEqual([]);

    // The planner plans every job, a few at a time, while the writer renames them all (version 2).
    const planning = (async () => {
      const applied: string[] = [];
      for (let i = 0; i < JOBS; i += 10) {
        const plans = plansOf(jobs.slice(i, i + 10));
        applied.push(...(await planner.jobsAdvance({ plans })).applied);
      }
      return applied;
    })();
    const renamed = jobs.map((job): JobRecord => {
      const definition = { ...job.definition, metadata: { owner: 'ops' } };
      return { ...job, definition, version: 2, updatedAt: T0 };
    });
    const failed = await writer.jobsWrite({
      writes: renamed.map((job) => ({ job, expectedVersion: 1, dropPlanned: false })),
    });
    const applied = new Set(await planning);

    expect(failed).toEqual([]);
    // Both sides applied somewhere: the batch met plans, not just followed or preceded them.
    expect(applied.size).toBeGreaterThan(0);
    const stored = await writer.jobsGet({ ids: jobs.map((job) => job.id) });
    expect(stored).toHaveLength(JOBS);
    for (const job of stored) {
      expect(job.version).toBe(2);
      expect(job.definition.metadata).toEqual({ owner: 'ops' });
      // A plan that applied (on version 1, before the batch's write) left its fire count, which
      // the store keeps through a job write (the next fire is the write's, as on the SQL stores).
      const fires = applied.has(job.id) ? 1 : 0;
      expect({ id: job.id, fireCount: job.fireCount }).toEqual({ id: job.id, fireCount: fires });
    }
  }, 60_000);

  test('a batch undone for a conflict removes the jobs it created with the fires a plan made of them meanwhile', async () => {
    const { writer, planner } = await writerAndPlanner();
    const taken = makeJobRecord({ id: 'job-999', nextFireAt: T0 });
    await writer.jobsWrite({ writes: [{ job: taken, expectedVersion: null, dropPlanned: false }] });
    const jobs = numberedJobs();

    // The planner plans the new jobs over and over (a plan of a job not there yet fails) …
    let writing = true;
    const planning = (async () => {
      const applied = new Set<string>();
      while (writing)
        for (const id of (await planner.jobsAdvance({ plans: plansOf(jobs) })).applied)
          applied.add(id);
      return applied;
    })();
    // … while a batch creates them and the taken id last: its create fails, the batch is undone.
    const failed = await writer.jobsWrite({
      writes: [...jobs, taken].map((job) => ({ job, expectedVersion: null, dropPlanned: false })),
    });
    writing = false;
    const applied = await planning;

    expect(failed).toEqual([JOBS]);
    expect(applied.size).toBeGreaterThan(0);
    expect(await writer.jobsGet({ ids: jobs.map((job) => job.id) })).toEqual([]);
    const left = await writer.executionsList({ limit: 1_000 });
    expect(left.map((e) => e.jobId)).toEqual([]);
  }, 60_000);

  test('a batch undone for a conflict keeps the fire count of a plan made meanwhile on its version', async () => {
    const { writer, planner } = await writerAndPlanner();
    const taken = makeJobRecord({ id: 'job-999', nextFireAt: T0 });
    const jobs = numberedJobs();
    await writer.jobsWrite({
      writes: [...jobs, taken].map((job) => ({ job, expectedVersion: null, dropPlanned: false })),
    });
    const renamed = jobs.map((job): JobRecord => ({ ...job, version: 2, updatedAt: T0 }));

    // The planner plans the batch's first jobs on its version 2, a few at a time, over and over …
    let writing = true;
    const planning = (async () => {
      const applied = new Set<string>();
      for (let i = 0; writing; i = (i + 10) % 100) {
        const plans = plansOf(renamed.slice(i, i + 10));
        for (const id of (await planner.jobsAdvance({ plans })).applied) applied.add(id);
      }
      return applied;
    })();
    // … while the batch writes them, then fails to create a taken id and is undone.
    const failed = await writer.jobsWrite({
      writes: [
        ...renamed.map((job) => ({ job, expectedVersion: 1, dropPlanned: false })),
        { job: taken, expectedVersion: null, dropPlanned: false },
      ],
    });
    writing = false;
    const applied = await planning;

    expect(failed).toEqual([JOBS]);
    expect(applied.size).toBeGreaterThan(0);
    const fires = await writer.executionsList({ limit: 1_000 });
    for (const job of await writer.jobsGet({ ids: jobs.map((j) => j.id) })) {
      expect(job.version).toBe(1);
      // Each plan that applied made a fire and counted it: the undo leaves the count.
      const made = fires.filter((e) => e.jobId === job.id).length;
      expect({ id: job.id, fireCount: job.fireCount }).toEqual({ id: job.id, fireCount: made });
    }
  }, 60_000);
});
