import { describe, expect, test } from 'vitest';
import type { JobRecord } from '../../../src/stores/store.js';
import { T0, makeJobRecord, targetOfType } from '../records.js';
import {
  MIN,
  type Fixture,
  addJob,
  addExecution,
  mustGetJob,
  plan,
  claim,
  start,
  finish,
  ids,
  sorted,
} from './fixture.js';
import { updateJob } from '../../helpers/jobs.js';

// --------------------------------------------------------- job listings

function withMetadata(metadata: Record<string, string>): Partial<JobRecord> {
  return { definition: { ...makeJobRecord().definition, metadata } };
}

export function jobListingTests(fx: Fixture): void {
  describe('job listings', () => {
    test('jobsList orders by id and pages with limit and afterId', async () => {
      const names = [
        'job-b',
        'Job-a',
        'job-a',
        'job.1',
        'job:1',
        'job_1',
        'job-10',
        'job-9',
        '0-first',
      ];
      for (const id of names) await addJob(fx.store, { id });
      const expected = [...names].sort();
      expect(ids(await fx.store.jobsList({ limit: 100 }))).toEqual(expected);
      expect(ids(await fx.store.jobsList({ limit: 3 }))).toEqual(expected.slice(0, 3));

      const walked: string[] = [];
      let afterId: string | undefined;
      // Bounded, so a cursor that does not advance fails the test instead of hanging it.
      for (let pages = 0; pages <= names.length; pages++) {
        const page = await fx.store.jobsList({ limit: 2, afterId });
        walked.push(...ids(page));
        if (page.length < 2) break;
        afterId = page[page.length - 1]?.id;
      }
      expect(walked).toEqual(expected);
      expect(ids(await fx.store.jobsList({ limit: 10, afterId: 'job-a' }))).toEqual(
        expected.filter((id) => id > 'job-a'),
      );
    });

    test('jobsList matches metadata exactly, on every key given', async () => {
      const { store } = fx;
      const a = await addJob(
        store,
        withMetadata({ team: 'core', env: 'prod', 'app.kubernetes.io/name': 'web' }),
      );
      const b = await addJob(store, withMetadata({ team: 'core', env: 'staging' }));
      const c = await addJob(store, withMetadata({ team: 'core-x', env: 'prod' }));
      const d = await addJob(store, withMetadata({}));
      const e = await addJob(store, withMetadata({ 'q"x': 'ü😀', 'back\\slash': '1' }));
      const f = await addJob(store, withMetadata({ empty: '' }));
      const list = async (metadata: Record<string, string>) =>
        sorted(ids(await store.jobsList({ metadata, limit: 100 })));

      expect(await list({ team: 'core' })).toEqual(sorted([a.id, b.id]));
      expect(await list({ team: 'core', env: 'prod' })).toEqual([a.id]);
      expect(await list({ env: 'prod' })).toEqual(sorted([a.id, c.id]));
      expect(await list({ 'app.kubernetes.io/name': 'web' })).toEqual([a.id]);
      expect(await list({ team: 'cor' })).toEqual([]);
      expect(await list({ team: 'CORE' })).toEqual([]);
      expect(await list({ 'q"x': 'ü😀', 'back\\slash': '1' })).toEqual([e.id]);
      expect(await list({ empty: '' })).toEqual([f.id]);
      expect(await list({ missing: '' })).toEqual([]);
      expect(await list({})).toEqual(sorted(ids([a, b, c, d, e, f])));
    });

    test('jobsList filters on paused and target type, together with metadata and paging', async () => {
      const { store } = fx;
      const group = { group: 'g' };
      const handler = await addJob(store, { id: 'p1', paused: true, ...withMetadata(group) });
      const http = await addJob(store, {
        id: 'p2',
        definition: {
          ...makeJobRecord().definition,
          target: targetOfType('http'),
          metadata: group,
        },
      });
      const pausedHttp = await addJob(store, {
        id: 'p3',
        paused: true,
        definition: {
          ...makeJobRecord().definition,
          target: targetOfType('http'),
          metadata: group,
        },
      });
      await addJob(store, { id: 'p4', paused: true });

      const list = async (params: {
        paused?: boolean;
        targetType?: string;
        afterId?: string;
        limit?: number;
      }) => ids(await store.jobsList({ metadata: group, limit: 100, ...params }));
      expect(await list({ paused: true })).toEqual([handler.id, pausedHttp.id]);
      expect(await list({ paused: false })).toEqual([http.id]);
      expect(await list({ targetType: 'http' })).toEqual([http.id, pausedHttp.id]);
      expect(await list({ targetType: 'handler' })).toEqual([handler.id]);
      expect(await list({ targetType: 'amqp' })).toEqual([]);
      expect(await list({ paused: true, targetType: 'http' })).toEqual([pausedHttp.id]);
      expect(await list({ paused: true, limit: 1 })).toEqual([handler.id]);
      expect(await list({ paused: true, limit: 1, afterId: handler.id })).toEqual([pausedHttp.id]);
      expect(ids(await store.jobsList({ paused: true, limit: 100 }))).toEqual(['p1', 'p3', 'p4']);
    });

    test('jobsDue returns unpaused jobs due by `before`, by nextFireAt, up to limit', async () => {
      const { store } = fx;
      const a = await addJob(store, { nextFireAt: T0 + 3 });
      const b = await addJob(store, { nextFireAt: T0 + 1 });
      await addJob(store, { nextFireAt: T0 + 2, paused: true });
      await addJob(store, { nextFireAt: null });
      await addJob(store, { nextFireAt: null, paused: true });
      await addJob(store, { nextFireAt: T0 + 10 });
      const f = await addJob(store, { nextFireAt: T0 + 5 });
      const g = await addJob(store, { nextFireAt: T0 - 10 * MIN });

      expect(ids(await store.jobsDue({ before: T0 + 5, limit: 100 }))).toEqual([
        g.id,
        b.id,
        a.id,
        f.id,
      ]);
      expect(ids(await store.jobsDue({ before: T0 + 5, limit: 2 }))).toEqual([g.id, b.id]);
      expect(ids(await store.jobsDue({ before: T0 - 11 * MIN, limit: 100 }))).toEqual([]);
      expect(await store.jobsDue({ before: T0 + 1, limit: 100 })).toEqual([g, b]);
    });

    test('nextDueAt is the earliest nextFireAt of unpaused jobs or runAt of unleased work', async () => {
      const { store } = fx;
      expect(await store.nextDueAt()).toBeNull();
      await addJob(store, { nextFireAt: T0 - 5 * MIN, paused: true });
      await addJob(store, { nextFireAt: null });
      expect(await store.nextDueAt()).toBeNull();
      const job = await addJob(store, { nextFireAt: T0 + 10 * MIN });
      expect(await store.nextDueAt()).toBe(T0 + 10 * MIN);
      await addExecution(store, { jobId: job.id, fireAt: T0 + 2 * MIN, runAt: T0 + 3 * MIN });
      expect(await store.nextDueAt()).toBe(T0 + 3 * MIN);
      await addExecution(store, {
        jobId: job.id,
        fireAt: T0 - MIN,
        leaseOwner: 'someone',
        leaseUntil: T0,
        leaseToken: 1,
      });
      await addExecution(store, { jobId: job.id, fireAt: T0 - 2 * MIN, status: 'succeeded' });
      expect(await store.nextDueAt()).toBe(T0 + 3 * MIN);
      const retry = await addExecution(store, {
        jobId: job.id,
        trigger: 'manual',
        fireAt: T0 - 3 * MIN,
        runAt: T0 + MIN,
        attempt: 1,
      });
      expect(await store.nextDueAt()).toBe(retry.runAt);
    });

    test('nextDueAt follows every write that moves due work', async () => {
      const { store } = fx;
      const job = await addJob(store, { nextFireAt: T0 + 10 * MIN });
      const e = await addExecution(store, { jobId: job.id, fireAt: T0 + 2 * MIN });
      expect(await store.nextDueAt()).toBe(T0 + 2 * MIN);
      const [held] = await claim(store, 'me', { until: T0 + 5 * MIN });
      expect(await store.nextDueAt()).toBe(T0 + 10 * MIN);
      await store.leasesRelease({
        leases: [{ id: e.id, leaseToken: held?.execution.leaseToken ?? 0 }],
      });
      expect(await store.nextDueAt()).toBe(T0 + 2 * MIN);
      const [again] = await claim(store, 'me', { until: T0 + 5 * MIN });
      if (!again) throw new Error('not claimed again');
      expect(await store.executionsStart({ starts: [start(again.execution)] })).toEqual([
        'started',
      ]);
      const retryAt = T0 + 4 * MIN;
      const retry = finish(again.execution, {
        status: 'scheduled',
        runAt: retryAt,
        finishedAt: null,
      });
      expect(await store.executionsFinish({ finishes: [retry] })).toEqual([true]);
      expect(await store.nextDueAt()).toBe(retryAt);
      const advanced = await store.jobsAdvance({ plans: [plan(job, { nextFireAt: T0 + MIN })] });
      expect(advanced.applied).toEqual([job.id]);
      expect(await store.nextDueAt()).toBe(T0 + MIN);
      const current = await mustGetJob(store, job.id);
      const paused = { ...current, paused: true, version: current.version + 1 };
      expect(
        await updateJob(store, {
          job: paused,
          expectedVersion: current.version,
          dropPlanned: false,
        }),
      ).toBe(true);
      expect(await store.nextDueAt()).toBe(retryAt);
      expect(await store.jobDelete({ id: job.id })).toBe(true);
      expect(await store.nextDueAt()).toBeNull();
    });
  });
}
