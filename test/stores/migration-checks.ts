/**
 * What a migration must leave, checked the same way on Postgres and SQLite
 * after the rows of the previous schema were written directly.
 */
import { expect } from 'vitest';
import { createScheduler, type JobDefinition } from '../../src/index.js';
import { storedDefinition } from '../../src/scheduler/job-records.js';
import { PRUNE_DELAY_MS } from '../../src/stores/rules.js';
import type { StoredDefinition, Store } from '../../src/stores/store.js';
import { maintenanceOf } from '../helpers/jobs.js';
import { silent } from '../helpers/scheduler.js';
import { T0, makeExecutionRecord, makeRetention, makeStats } from './records.js';

/**
 * After the retention migration (Postgres 2, SQLite 2) of jobs `busy` (eight
 * executions e1–e8, five of them prunable) and `idle`: statistics counted from
 * the kept executions, the pruner's look set, keepLast 2 pruning oldest first.
 */
export async function expectRetentionMigrated(store: Store): Promise<void> {
  expect(await store.jobGet({ id: 'busy' })).toMatchObject({
    staleAfterMs: null,
    staleSince: null,
    pruneAfter: 0,
    stats: makeStats({
      succeeded: 2,
      failed: 2,
      missed: 1,
      skipped: 1,
      lastSuccessAt: T0 + 40,
      lastFailureAt: T0 + 30,
      lastFireAt: T0 + 3,
    }),
  });
  expect(await store.jobGet({ id: 'idle' })).toMatchObject({
    pruneAfter: null,
    stats: makeStats(),
  });
  expect((await maintenanceOf(store).jobsToPrune({ now: 0, limit: 10 })).map((j) => j.id)).toEqual([
    'busy',
  ]);
  // Five prunable executions are counted as kept: keepLast 2 prunes three, oldest first.
  const retention = makeRetention({ keepLast: 2, maxAgeMs: 3_600_000 });
  const pruned = await maintenanceOf(store).executionsPrune({
    jobId: 'busy',
    retention,
    now: T0 + 1_000,
    limit: 100,
    expectedPruneAfter: 0,
  });
  expect(pruned).toBe(3);
  const left = await store.executionsList({ jobId: 'busy', limit: 10 });
  expect(left.map((e) => e.id).sort()).toEqual(['e3', 'e5', 'e6', 'e7', 'e8']);
  expect((await store.jobGet({ id: 'busy' }))?.pruneAfter).toBe(
    T0 + 50 + 3_600_000 + PRUNE_DELAY_MS,
  );
}

/**
 * After Postgres migration 10 and SQLite migration 7, of job `j` with a fire
 * of its schedule `m` and a manual trigger `k` at T0:

a schedule's fire stays unique, manual triggers of one instant stay apart, the history keeps its order.
 */
export async function expectOneHistoryIndex(store: Store): Promise<void> {
  const at = (id: string, trigger: 'schedule' | 'manual', fireAt = T0) =>
    makeExecutionRecord({ id, jobId: 'j', fireAt, trigger, status: 'succeeded' });
  // The fire of T0 is taken; two manual triggers of T0 (one in a batch) and the fire of T0 + 1 are not.
  const batch = [at('a', 'schedule'), at('z', 'manual'), at('b', 'manual')];
  expect(
    await store.executionsInsert({ executions: [...batch, at('n', 'schedule', T0 + 1)] }),
  ).toEqual(['z', 'b', 'n']);
  expect(await store.executionsInsert({ executions: [at('y', 'manual')] })).toEqual(['y']);
  expect(await store.executionsInsert({ executions: [at('c', 'schedule', T0 + 1)] })).toEqual([]);

  const history = async (before?: { fireAt: number; id: string }) =>
    (await store.executionsList({ jobId: 'j', limit: 10, before })).map((e) => e.id);
  expect(await history()).toEqual(['n', 'z', 'y', 'm', 'k', 'b']);
  expect(await history({ fireAt: T0, id: 'y' })).toEqual(['m', 'k', 'b']);
  expect(await history({ fireAt: T0 + 1, id: 'n' })).toEqual(['z', 'y', 'm', 'k', 'b']);
}

/** Jobs as a version before the hash's migration (Postgres 15, SQLite 9) defined them. */
export const DEFINED_BEFORE_NO_HASH: JobDefinition[] = [
  {
    id: 'cron',
    schedule: { kind: 'cron', expr: '0 3 * * *', tz: 'Europe/Berlin' },
    metadata: { team: 'a' },
  },
  { id: 'once', schedule: { kind: 'once', at: '2031-01-01T00:00:00.000Z' } },
  {
    id: 'hook',
    schedule: { kind: 'interval', every: '5m' },
    target: { type: 'http', url: 'https://example.com/' },
  },
];

/** Each of {@link DEFINED_BEFORE_NO_HASH} by id and as the scheduler stored it. */
export const STORED_BEFORE_NO_HASH: [string, StoredDefinition][] = DEFINED_BEFORE_NO_HASH.map(
  (job) => [job.id ?? '', storedDefinition(job, T0)],
);

/**
 * After the hash's migration, of the jobs {@link DEFINED_BEFORE_NO_HASH} an
 * earlier version stored at version 3: ensuring them as defined writes
 * nothing (the scheduler compares the definitions it reads back). Closes the
 * store (the scheduler's stop).
 */
export async function expectEnsuredUnchanged(store: Store): Promise<void> {
  const scheduler = createScheduler({ store, logger: silent });
  scheduler.setHandler(() => undefined);
  await scheduler.start();
  try {
    const jobs = await scheduler.ensureJobs(structuredClone(DEFINED_BEFORE_NO_HASH));
    expect(jobs.map((job) => [job.id, job.version])).toEqual([
      ['cron', 3],
      ['once', 3],
      ['hook', 3],
    ]);
  } finally {
    await scheduler.stop({ timeoutMs: 0 });
  }
}
