/**
 * Jobs as code in the library, `scheduler.apply(defs, { prune, dryRun })`, and
 * `scheduler.clearJobs({ selector, dryRun })`, on the real stores: 1,000 jobs
 * applied to an empty store, again (no drift), then one changed, one added and
 * one removed under a prune (exactly those three changes, in one store
 * transaction); the field-level diff with secrets redacted; ownership by
 * selector; bad input refused with nothing applied.
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
import { countingStore } from './helpers/counting-store.js';
import { collect } from './helpers/events.js';
import { intercept } from './helpers/intercept.js';
import { updateJob } from './helpers/jobs.js';
import { silent } from './helpers/scheduler.js';
import { storeCases } from './helpers/store-cases.js';
import { chimeRejection } from './helpers/rejection.js';

const cases = await storeCases('chime_apply');

const OWNED = { 'managed-by': 'deploy-x' };

/** Job `i` of a deployment: a daily cron at a minute of its own, owned by deploy-x. */
function owned(i: number, extra: Partial<JobDefinition> = {}): JobDefinition {
  return {
    id: `job-${String(i).padStart(4, '0')}`,
    schedule: cron(`${i % 60} ${i % 24} * * *`, { tz: 'Europe/Berlin' }),
    payload: { i },
    metadata: { ...OWNED, team: `t${i % 7}` },
    ...extra,
  };
}

for (const storeCase of cases) {
  describe.skipIf(!storeCase.available)(`apply and clear on the ${storeCase.name} store`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function started(): Promise<{ s: Scheduler; calls: Map<string, number>; store: Store }> {
      const made = storeCase.make();
      const { store, calls } = countingStore(made.store);
      const s = createScheduler({ store, logger: silent });
      cleanups.push(made.cleanup);
      cleanups.push(async () => {
        await s.stop({ timeoutMs: 0 });
        await made.store.close();
      });
      await s.start();
      return { s, calls, store };
    }

    async function allIds(s: Scheduler): Promise<string[]> {
      const ids: string[] = [];
      for (let cursor: string | undefined; ;) {
        const page = await s.listJobs({ limit: 1000, ...(cursor ? { cursor } : {}) });
        ids.push(...page.items.map((job) => job.id));
        if (!page.nextCursor) return ids;
        cursor = page.nextCursor;
      }
    }

    it('1,000 jobs: created, then no drift, then exactly one change, one addition and one removal under prune', async () => {
      const { s, calls } = await started();
      const defs = Array.from({ length: 1_000 }, (_, i) => owned(i));
      const writes = () => calls.get('jobsWrite') ?? 0;

      const first = await s.apply(defs, { prune: OWNED });
      expect(first.create).toHaveLength(1_000);
      expect(first.create).toEqual(defs.map((d) => d.id));
      expect([first.change, first.remove, first.unchanged]).toEqual([[], [], []]);
      expect(writes()).toBe(1);
      expect(await allIds(s)).toHaveLength(1_000);

      const again = await s.apply(defs, { prune: OWNED });
      expect(again).toEqual({
        dryRun: false,
        create: [],
        change: [],
        remove: [],
        unchanged: defs.map((d) => d.id),
      });
      expect(writes()).toBe(1);

      const changed = owned(10, { schedule: cron('5 4 * * *', { tz: 'Europe/Berlin' }) });
      const added = owned(1_000);
      const next = [...defs.filter((d) => d.id !== 'job-0500'), added];
      next[10] = changed;
      const plan = await s.apply(next, { prune: OWNED, dryRun: true });
      expect(writes()).toBe(1);
      expect(await s.getJob('job-1000')).toBeNull();
      const third = await s.apply(next, { prune: OWNED });
      expect(writes()).toBe(2);
      expect(third).toEqual({ ...plan, dryRun: false });
      expect(third.create).toEqual(['job-1000']);
      expect(third.remove).toEqual(['job-0500']);
      expect(third.change).toEqual([
        {
          id: 'job-0010',
          changes: [{ path: '/schedule/expr', from: '10 10 * * *', to: '5 4 * * *' }],
        },
      ]);
      expect(third.unchanged).toHaveLength(998);
      const ids = await allIds(s);
      expect(ids).toHaveLength(1_000);
      expect(ids).toContain('job-1000');
      expect(ids).not.toContain('job-0500');
      expect((await s.getJob('job-0010'))?.schedule).toEqual(changed.schedule);
    });

    it('prune removes only the jobs the selector matches, with their executions', async () => {
      const { s } = await started();
      await s.ensureJob({ id: 'hand-made', schedule: every('1h') });
      await s.ensureJob({
        id: 'other-owner',
        schedule: every('1h'),
        metadata: { 'managed-by': 'y' },
      });
      await s.apply([owned(1), owned(2)], { prune: OWNED });
      const run = await s.triggerJob('job-0002');
      const report = await s.apply([owned(1)], { prune: OWNED });
      expect(report.remove).toEqual(['job-0002']);
      expect((await allIds(s)).sort()).toEqual(['hand-made', 'job-0001', 'other-owner']);
      expect(await s.getExecution(run.id)).toBeNull();
      // Without prune, nothing is removed.
      await s.apply([owned(2)]);
      expect((await s.apply([], {})).remove).toEqual([]);
      expect(await allIds(s)).toContain('job-0001');
    });

    it('the diff names each changed field; secrets read [redacted]; paused counts when the file names it', async () => {
      const { s } = await started();
      const http = (token: string, paused?: boolean): JobDefinition => ({
        id: 'hook',
        schedule: every('5m'),
        target: {
          type: 'http',
          url: 'https://example.com/hook',
          headers: { authorization: `Bearer ${token}`, 'x-kind': 'a' },
        },
        metadata: { ...OWNED },
        ...(paused === undefined ? {} : { paused }),
      });
      await s.apply([http('first-secret')]);
      const report = await s.apply([
        {
          ...http('second-secret', true),
          target: {
            type: 'http',
            url: 'https://example.com/hook',
            headers: { authorization: 'Bearer second-secret', 'x-kind': 'b' },
          },
          retry: { maxAttempts: 3 },
          metadata: {},
        },
      ]);
      expect(report.change).toEqual([
        {
          id: 'hook',
          changes: [
            { path: '/metadata/managed-by', from: 'deploy-x' },
            { path: '/paused', from: false, to: true },
            { path: '/retry', to: { maxAttempts: 3 } },
            { path: '/target/headers/authorization', from: '[redacted]', to: '[redacted]' },
            { path: '/target/headers/x-kind', from: 'a', to: 'b' },
          ],
        },
      ]);
      expect(JSON.stringify(report)).not.toContain('secret');
      expect((await s.getJob('hook'))?.paused).toBe(true);
      // A file that does not name paused leaves it alone: no drift.
      const { paused: _p, ...unnamed } = { ...http('second-secret'), metadata: {} };
      expect(
        (
          await s.apply([
            {
              ...unnamed,
              retry: { maxAttempts: 3 },
              target: {
                type: 'http',
                url: 'https://example.com/hook',
                headers: { authorization: 'Bearer second-secret', 'x-kind': 'b' },
              },
            },
          ])
        ).unchanged,
      ).toEqual(['hook']);
    });

    it('bad input is refused at its item and field, and nothing is applied', async () => {
      const { s, calls } = await started();
      await s.apply([owned(1)]);
      const bad = [owned(2), owned(3, { schedule: cron('61 * * * *') }), owned(4)];
      const invalid = await chimeRejection(s.apply(bad, { prune: OWNED }));
      expect(invalid.code).toBe('CHIME_ERR_SCHEDULE_CRON_INVALID');
      expect(invalid.path).toBe('/1/schedule/expr');
      const noId = await chimeRejection(s.apply([owned(2), { schedule: every('1m') }]));
      expect([noId.code, noId.path]).toEqual(['CHIME_ERR_MISSING_FIELD', '/1/id']);
      const twice = await chimeRejection(s.apply([owned(2), owned(2)]));
      expect([twice.code, twice.path]).toEqual(['CHIME_ERR_INVALID_INPUT', '/1/id']);
      // A one-shot in the past is found while planning, before any write.
      const past = owned(5, { schedule: once(new Date(Date.now() - 3_600_000)) });
      const late = await chimeRejection(s.apply([owned(2), past], { prune: OWNED }));
      expect([late.code, late.path]).toEqual(['CHIME_ERR_SCHEDULE_IN_PAST', '/1/schedule/at']);
      for (const prune of [{}, { 'bad key!': 'x' }, 'managed-by=deploy-x']) {
        const err = await chimeRejection(s.apply([owned(2)], { prune } as never));
        expect(err.path).toMatch(/^\/prune/);
      }
      expect((await chimeRejection(s.apply([], { force: true } as never))).code).toBe(
        'CHIME_ERR_UNKNOWN_FIELD',
      );
      expect(await allIds(s)).toEqual(['job-0001']);
      expect(calls.get('jobsWrite')).toBe(1);
    });

    it('clearJobs removes every job the selector matches in one write; a dry run lists them', async () => {
      const { s, calls } = await started();
      await s.apply(Array.from({ length: 30 }, (_, i) => owned(i)));
      await s.ensureJob({ id: 'keep', schedule: every('1h'), metadata: { team: 't1' } });
      const writes = calls.get('jobsWrite');
      const preview = await s.clearJobs({ selector: { ...OWNED, team: 't1' }, dryRun: true });
      expect(preview).toEqual({
        dryRun: true,
        remove: ['job-0001', 'job-0008', 'job-0015', 'job-0022', 'job-0029'],
      });
      expect(await allIds(s)).toHaveLength(31);
      expect(await s.clearJobs({ selector: { ...OWNED, team: 't1' } })).toEqual({
        ...preview,
        dryRun: false,
      });
      expect(calls.get('jobsWrite')).toBe((writes ?? 0) + 1);
      const cleared = await s.clearJobs({ selector: OWNED });
      expect(cleared.remove).toHaveLength(25);
      expect(await allIds(s)).toEqual(['keep']);
      expect(await s.clearJobs({ selector: OWNED })).toEqual({ dryRun: false, remove: [] });
      const empty = await chimeRejection(s.clearJobs({ selector: {} }));
      expect([empty.code, empty.path]).toEqual(['CHIME_ERR_INVALID_INPUT', '/selector']);
      expect(await allIds(s)).toEqual(['keep']);
    });
  });
}

describe('apply under a concurrent writer (memory store)', () => {
  it('a job changed between the read and the write sends the apply to another round on fresh reads', async () => {
    const inner = memoryStore();
    let races = 0;
    const store = intercept(inner, {
      jobsWrite: async (params: { writes: JobWrite[] }) => {
        if (races > 0) {
          races--;
          // Another writer changes a job this apply is about to remove, and one it updates.
          for (const id of ['job-0002', 'job-0003']) {
            const job = await inner.jobGet({ id });
            if (!job) throw new Error(`no job ${id}`);
            const next = { ...job, version: job.version + 1 };
            await updateJob(inner, { job: next, expectedVersion: job.version, dropPlanned: false });
          }
        }
        return inner.jobsWrite(params);
      },
    });
    const s = createScheduler({ store, logger: silent });
    await s.start();
    try {
      await s.apply([owned(1), owned(2), owned(3)]);
      const events = {
        created: collect(s, 'job:created'),
        changed: collect(s, 'job:changed'),
        removed: collect(s, 'job:removed'),
      };
      races = 1;
      const report = await s.apply([owned(1), owned(3, { payload: 'v2' }), owned(4)], {
        prune: OWNED,
      });
      expect(report.remove).toEqual(['job-0002']);
      expect(report.create).toEqual(['job-0004']);
      expect(report.change.map((c) => c.id)).toEqual(['job-0003']);
      expect(await s.getJob('job-0002')).toBeNull();
      // Version 1, 2 by the other writer, 3 by this apply's second round.
      expect((await s.getJob('job-0003'))?.version).toBe(3);
      expect(events.created.map((e) => e.jobId)).toEqual(['job-0004']);
      expect(events.changed.map((e) => e.jobId)).toEqual(['job-0003']);
      expect(events.removed.map((e) => e.jobId)).toEqual(['job-0002']);
    } finally {
      await s.stop({ timeoutMs: 0 });
    }
  });
});
