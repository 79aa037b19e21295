/**
 * The bulk job API, `submitJobs` and `ensureJobs`, on real stores (memory,
 * SQLite, and Postgres when it is reachable): one store transaction per
 * batch, every item validated before anything is written, errors naming the
 * item by its index, jobs returned in input order. Then, on the memory store,
 * what concurrent writers do to a batch (the compare-and-set rounds).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createScheduler,
  cron,
  every,
  memoryStore,
  once,
  type JobDefinition,
  type Scheduler,
  type Store,
} from '../src/index.js';
import type { JobWrite } from '../src/stores/store.js';
import { intercept } from './helpers/intercept.js';
import { countingStore } from './helpers/counting-store.js';
import { until } from './helpers/events.js';
import { silent } from './helpers/scheduler.js';
import { storeCases } from './helpers/store-cases.js';
import { chimeRejection } from './helpers/rejection.js';
import { insertJob, updateJob } from './helpers/jobs.js';

const STORES = await storeCases('chime_bulk');

const daily = (id: string, extra: Partial<JobDefinition> = {}): JobDefinition => ({
  id,
  schedule: cron('0 3 * * *'),
  ...extra,
});

for (const storeCase of STORES) {
  describe.skipIf(!storeCase.available)(`bulk jobs on the ${storeCase.name} store`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /** A scheduler on a fresh store (counted), not yet started; it is stopped after the test. */
    function scheduler(): { s: Scheduler; calls: Map<string, number>; store: Store } {
      const made = storeCase.make();
      const { store, calls } = countingStore(made.store);
      const s = createScheduler({ store, logger: silent, concurrency: 200 });
      s.setHandler(() => undefined);
      cleanups.push(made.cleanup);
      cleanups.push(async () => {
        await s.stop({ timeoutMs: 0 });
        await made.store.close();
      });
      return { s, calls, store };
    }

    async function started() {
      const made = scheduler();
      await made.s.start();
      return made;
    }

    async function allJobIds(s: Scheduler): Promise<string[]> {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await s.listJobs({ limit: 1000, ...(cursor ? { cursor } : {}) });
        ids.push(...page.items.map((job) => job.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return ids;
    }

    it('submitJobs stores 1,000 jobs in one write, returns them in input order, and each fires once', async () => {
      const { s, calls } = await started();
      const fired = new Map<string, number>();
      s.setHandler((ctx) => void fired.set(ctx.job.id, (fired.get(ctx.job.id) ?? 0) + 1));
      const at = new Date(Date.now() + 1_500);
      const definitions = Array.from({ length: 1_000 }, (_, i) => ({
        id: `bulk-${String(999 - i).padStart(3, '0')}`,
        schedule: once(at),
        payload: { i },
      }));
      const writesBefore = calls.get('jobsWrite') ?? 0;
      const readsBefore = calls.get('jobsGet') ?? 0;
      const jobs = await s.submitJobs(definitions);
      expect(calls.get('jobsWrite')).toBe(writesBefore + 1);
      // A taken id fails its insert: a submit reads nothing first.
      expect(calls.get('jobsGet') ?? 0).toBe(readsBefore);
      expect(jobs.map((job) => job.id)).toEqual(definitions.map((d) => d.id));
      expect(jobs.map((job) => job.payload)).toEqual(definitions.map((d) => d.payload));
      for (const job of jobs) {
        expect(job.version).toBe(1);
        expect(job.nextFireAt).toBe(at.toISOString());
      }
      expect((await allJobIds(s)).sort()).toEqual(definitions.map((d) => d.id).sort());

      await until(() => fired.size === 1_000, 25_000, 'every job to fire');
      expect([...fired.values()].every((n) => n === 1)).toBe(true);
      const sample = await s.getJob('bulk-500');
      expect(sample?.completedAt).not.toBeNull();
    }, 40_000);

    it('generates the ids of items that name none', async () => {
      const { s } = await started();
      const jobs = await s.submitJobs([{ schedule: cron('0 3 * * *') }, daily('named')]);
      expect(jobs[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(jobs[1]?.id).toBe('named');
      expect((await allJobIds(s)).sort()).toEqual([jobs[0]?.id, 'named'].sort());
    });

    it('an invalid item rejects the whole batch with its index in the path, and writes nothing', async () => {
      const { s, calls } = await started();
      const badCron = [
        daily('a'),
        daily('b'),
        daily('c'),
        { id: 'd', schedule: cron('61 * * * *') },
      ];
      for (const put of [s.submitJobs.bind(s), s.ensureJobs.bind(s)]) {
        const err = await chimeRejection(put(badCron));
        expect(err.code).toBe('CHIME_ERR_SCHEDULE_CRON_INVALID');
        expect(err.path).toBe('/3/schedule/expr');
      }
      // A one-shot instant beyond the misfire grace is found once the store is read.
      const past = [
        daily('a'),
        daily('b'),
        { id: 'p', schedule: once(new Date(Date.now() - 3_600_000)) },
      ];
      const err = await chimeRejection(s.submitJobs(past));
      expect(err).toMatchObject({ code: 'CHIME_ERR_SCHEDULE_IN_PAST', path: '/2/schedule/at' });
      const unknownField = [daily('a'), { ...daily('b'), colour: 'red' }];
      expect(await chimeRejection(s.ensureJobs(unknownField as JobDefinition[]))).toMatchObject({
        code: 'CHIME_ERR_UNKNOWN_FIELD',
        path: expect.stringMatching(/^\/1/),
      });
      expect(await allJobIds(s)).toEqual([]);
      expect(calls.get('jobsWrite') ?? 0).toBe(0);
    });

    it('refuses input that is not an array with CHIME_ERR_INVALID_INPUT at the root', async () => {
      const { s } = await started();
      for (const input of [daily('a'), null, 'jobs']) {
        const err = await chimeRejection(s.submitJobs(input as unknown as JobDefinition[]));
        expect(err).toMatchObject({ code: 'CHIME_ERR_INVALID_INPUT', path: '' });
        expect(await chimeRejection(s.ensureJobs(input as never))).toMatchObject({ path: '' });
      }
      expect(await chimeRejection(s.submitJobs([daily('a'), 'b' as never]))).toMatchObject({
        code: 'CHIME_ERR_INVALID_INPUT',
        path: '/1',
      });
    });

    it('refuses the same id twice in one batch at /i/id, naming the first index', async () => {
      const { s } = await started();
      const batch = [daily('x'), daily('y'), daily('z'), daily('y', { payload: 2 })];
      for (const put of [s.submitJobs.bind(s), s.ensureJobs.bind(s)]) {
        const err = await chimeRejection(put(batch));
        expect(err.code).toBe('CHIME_ERR_INVALID_INPUT');
        expect(err.path).toBe('/3/id');
        expect(err.message).toContain('/1');
      }
      expect(await allJobIds(s)).toEqual([]);
    });

    it('submitJobs with one existing id rejects with CHIME_ERR_JOB_EXISTS at /i/id and writes none of the batch', async () => {
      const { s } = await started();
      await s.submitJob(daily('taken', { payload: 'first' }));
      const batch = [
        daily('new-1'),
        daily('new-2'),
        daily('taken', { payload: 'second' }),
        daily('new-3'),
      ];
      const err = await chimeRejection(s.submitJobs(batch));
      expect(err).toMatchObject({ code: 'CHIME_ERR_JOB_EXISTS', path: '/2/id' });
      expect(err.message).toContain('"taken"');
      expect(await allJobIds(s)).toEqual(['taken']);
      expect((await s.getJob('taken'))?.payload).toBe('first');
    });

    it('submitJobs names the first refused item: an existing id before a one-shot in the past', async () => {
      const { s } = await started();
      await s.submitJob(daily('taken'));
      const past = { schedule: once(new Date(Date.now() - 3_600_000)) };
      const exists = await chimeRejection(s.submitJobs([daily('taken'), { id: 'p', ...past }]));
      expect(exists).toMatchObject({ code: 'CHIME_ERR_JOB_EXISTS', path: '/0/id' });
      const inPast = await chimeRejection(s.submitJobs([{ id: 'p', ...past }, daily('taken')]));
      expect(inPast).toMatchObject({ code: 'CHIME_ERR_SCHEDULE_IN_PAST', path: '/0/schedule/at' });
      expect(await allJobIds(s)).toEqual(['taken']);
    });

    it('ensureJobs twice with identical definitions changes nothing and bumps no version', async () => {
      const { s, calls } = await started();
      const definitions = [
        daily('a', { metadata: { team: 'x' } }),
        // No fire soon: the engine leaves nextFireAt alone between the two calls.
        { id: 'b', schedule: every('10m', { startAt: new Date(Date.now() + 86_400_000) }) },
        daily('c', { paused: true }),
      ];
      const first = await s.ensureJobs(definitions);
      const writes = calls.get('jobsWrite');
      const second = await s.ensureJobs(structuredClone(definitions));
      expect(second).toEqual(first);
      expect(second.map((job) => job.version)).toEqual([1, 1, 1]);
      expect(calls.get('jobsWrite')).toBe(writes);
    });

    it('ensureJobs with new, changed and unchanged jobs: each gets the version it should, in input order', async () => {
      const { s } = await started();
      await s.ensureJobs([
        daily('same'),
        daily('payload', { payload: 1 }),
        daily('schedule'),
        daily('pause'),
        daily('operator-paused'),
      ]);
      await s.pauseJob('operator-paused');
      const jobs = await s.ensureJobs([
        daily('fresh'),
        daily('payload', { payload: 2 }),
        daily('same'),
        { id: 'schedule', schedule: cron('0 4 * * *') },
        daily('pause', { paused: true }),
        daily('operator-paused'),
      ]);
      expect(jobs.map((job) => [job.id, job.version])).toEqual([
        ['fresh', 1],
        ['payload', 2],
        ['same', 1],
        ['schedule', 2],
        ['pause', 2],
        ['operator-paused', 2],
      ]);
      expect(jobs[1]?.payload).toBe(2);
      expect(jobs[3]?.nextFireAt).toMatch(/T04:00:00\.000Z$/);
      expect(jobs[4]).toMatchObject({ paused: true, nextFireAt: null });
      // ensureJobs leaves paused alone unless the definition names it.
      expect(jobs[5]?.paused).toBe(true);
      for (const job of jobs) expect(await s.getJob(job.id)).toEqual(job);
    });

    it('calls made before start() wait for it, then apply; an empty batch touches no store', async () => {
      const { s, calls } = scheduler();
      const submitted = s.submitJobs([daily('early-1'), daily('early-2')]);
      const ensured = s.ensureJobs([daily('early-3')]);
      let settled = false;
      void Promise.all([submitted, ensured]).then(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(settled).toBe(false);
      // Validation does not wait for start().
      expect(
        await chimeRejection(s.submitJobs([{ id: 'bad id', schedule: cron('0 3 * * *') }])),
      ).toMatchObject({
        code: 'CHIME_ERR_JOB_ID_INVALID',
        path: '/0/id',
      });
      expect(await s.submitJobs([])).toEqual([]);
      expect(await s.ensureJobs([])).toEqual([]);
      await s.start();
      expect((await submitted).map((job) => job.id)).toEqual(['early-1', 'early-2']);
      expect((await ensured).map((job) => job.id)).toEqual(['early-3']);

      const before = new Map(calls);
      expect(await s.ensureJobs([])).toEqual([]);
      expect(calls).toEqual(before);
    });

    it('rejects calls after stop() with CHIME_ERR_SCHEDULER_STOPPED', async () => {
      const { s } = await started();
      await s.stop({ timeoutMs: 0 });
      expect(await chimeRejection(s.submitJobs([daily('late')]))).toMatchObject({
        code: 'CHIME_ERR_SCHEDULER_STOPPED',
      });
    });
  });
}

describe('bulk jobs under concurrent writers (memory store)', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  /** A started scheduler on `inner` seen through `overrides` (the rest is the store's own). */
  async function startedOn(inner: Store, overrides: Partial<Store>): Promise<Scheduler> {
    const s = createScheduler({ store: intercept(inner, overrides), logger: silent });
    s.setHandler(() => undefined);
    stops.push(() => s.stop({ timeoutMs: 0 }));
    await s.start();
    return s;
  }

  /** Bumps the stored version of `id` behind the scheduler's back, as another instance would. */
  async function bumpBehind(store: Store, id: string): Promise<void> {
    const [job] = await store.jobsGet({ ids: [id] });
    if (!job) throw new Error(`no job ${id}`);
    const next = { ...job, version: job.version + 1 };
    expect(
      await updateJob(store, { job: next, expectedVersion: job.version, dropPlanned: false }),
    ).toBe(true);
  }

  it('ensureJobs retries a batch whose compare-and-set failed, re-reading every job it writes', async () => {
    const inner = memoryStore();
    let races = 0;
    const s = await startedOn(inner, {
      jobsWrite: async (params: { writes: JobWrite[] }) => {
        if (races > 0) {
          races--;
          await bumpBehind(inner, 'b');
        }
        return inner.jobsWrite(params);
      },
    });
    await s.ensureJobs([daily('a'), daily('b'), daily('c')]);
    races = 1;
    const jobs = await s.ensureJobs([
      daily('a', { payload: 1 }),
      daily('b', { payload: 1 }),
      daily('c'),
    ]);
    // b was changed by another writer (version 2) before this batch replaced it (version 3).
    expect(jobs.map((job) => job.version)).toEqual([2, 3, 1]);
    expect(jobs.map((job) => job.payload)).toEqual([1, 1, undefined]);
  });

  it('ensureJobs gives up after as many rounds as ensureJob, naming the item that kept failing', async () => {
    const inner = memoryStore();
    let racing = false;
    const s = await startedOn(inner, {
      jobsWrite: async (params: { writes: JobWrite[] }) => {
        if (racing) await bumpBehind(inner, 'b');
        return inner.jobsWrite(params);
      },
    });
    await s.ensureJobs([daily('a'), daily('b')]);
    racing = true;
    const err = await chimeRejection(
      s.ensureJobs([daily('a', { payload: 1 }), daily('b', { payload: 1 })]),
    );
    expect(err).toMatchObject({ code: 'CHIME_ERR_JOB_CONFLICT', path: '/1/id' });
    expect((await s.getJob('a'))?.version).toBe(1);
    // The single-job API shares the code path, with its paths unprefixed.
    expect(await chimeRejection(s.ensureJob(daily('b', { payload: 2 })))).toMatchObject({
      code: 'CHIME_ERR_JOB_CONFLICT',
      path: '/id',
    });
  });

  it('submitJobs whose id was taken after the read rejects with CHIME_ERR_JOB_EXISTS and writes none', async () => {
    const inner = memoryStore();
    const s = await startedOn(inner, {
      jobsWrite: async (params: { writes: JobWrite[] }) => {
        const theirs = params.writes[1]?.job;
        const mark = { metadata: { by: 'them' } };
        if (theirs)
          await insertJob(inner, { ...theirs, definition: { ...theirs.definition, ...mark } });
        return inner.jobsWrite(params);
      },
    });
    const err = await chimeRejection(s.submitJobs([daily('x'), daily('y'), daily('z')]));
    expect(err).toMatchObject({ code: 'CHIME_ERR_JOB_EXISTS', path: '/1/id' });
    const stored = await inner.jobsGet({ ids: ['x', 'y', 'z'] });
    expect(stored.map((job) => [job.id, job.definition.metadata])).toEqual([['y', { by: 'them' }]]);
  });
});
