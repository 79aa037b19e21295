/**
 * What the one index of a job's executions must keep, checked the same way
 * after Postgres migration 10 and SQLite migration 7: the store holds job `j`
 * with a fire of its schedule `m` and a manual trigger `k` at T0, written by
 * the previous schema.
 */
import { expect } from 'vitest';
import type { Store } from '../../src/stores/store.js';
import { T0, makeExecutionRecord } from './records.js';

/** A schedule's fire stays unique, manual triggers of one instant stay apart, the history keeps its order. */
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
