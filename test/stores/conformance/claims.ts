import { describe, expect, test } from 'vitest';
import type { ExecutionRecord } from '../../../src/stores/store.js';
import { T0 } from '../records.js';
import {
  MIN,
  LEASE,
  type Fixture,
  addJob,
  addExecution,
  mustGet,
  leased,
  runningBy,
  claim,
  claimedIds,
  sorted,
} from './fixture.js';

// ----------------------------------------------------------------- claims

export function claimTests(fx: Fixture): void {
  describe('executionsClaim', () => {
    test('leases only unleased work due by `until`, oldest runAt first', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const until = T0 + 1_000;
      let fireAt = T0 - 100 * MIN;
      const add = (overrides: Partial<ExecutionRecord>) =>
        addExecution(store, {
          jobId: job.id,
          fireAt: (fireAt += MIN),
          runAt: T0 - 100,
          ...overrides,
        });

      const planned = await add({ runAt: T0 - 500 });
      const released = await add({
        status: 'running',
        attempt: 1,
        startedAt: T0 - 10_000,
        runAt: T0 - 20_000,
      });
      const pendingOnFailure = await add({
        status: 'failed',
        attempt: 1,
        onFailure: 'pending',
        runAt: T0 - 1_000,
      });
      const atUntil = await add({ runAt: until, trigger: 'manual' });
      await add({ runAt: until + 1 });
      await add({ ...leased('x', 1) });
      await add({ ...runningBy('x', 1) });
      await add({ status: 'failed', attempt: 1, onFailure: 'delivered' });
      await add({ status: 'failed', attempt: 1, onFailure: 'failed' });
      await add({ status: 'failed', attempt: 1, onFailure: null });
      for (const status of ['succeeded', 'missed', 'skipped', 'cancelled'] as const)
        await add({ status });

      const claims = await claim(store, 'me', { now: T0, until });
      expect(claimedIds(claims)).toEqual([
        released.id,
        pendingOnFailure.id,
        planned.id,
        atUntil.id,
      ]);
      expect(await claim(store, 'you', { now: T0, until })).toEqual([]);
    });

    test('takes the oldest runAt first, up to limit', async () => {
      const job = await addJob(fx.store);
      const runAts = [T0 + 5, T0 + 1, T0 + 4, T0 + 2, T0 + 3];
      const byRunAt = new Map<number, string>();
      for (const [i, runAt] of runAts.entries()) {
        const e = await addExecution(fx.store, { jobId: job.id, fireAt: T0 + i * MIN, runAt });
        byRunAt.set(runAt, e.id);
      }
      const first = await claim(fx.store, 'me', { limit: 2 });
      expect(claimedIds(first)).toEqual([byRunAt.get(T0 + 1), byRunAt.get(T0 + 2)]);
      const second = await claim(fx.store, 'me', { limit: 2 });
      expect(claimedIds(second)).toEqual([byRunAt.get(T0 + 3), byRunAt.get(T0 + 4)]);
      expect(claimedIds(await claim(fx.store, 'me', { limit: 2 }))).toEqual([byRunAt.get(T0 + 5)]);
    });

    test('sets owner and leaseUntil = max(runAt, now) + leaseMs, bumps the token, returns the job', async () => {
      const job = await addJob(fx.store);
      const late = await addExecution(fx.store, {
        jobId: job.id,
        fireAt: T0 - MIN,
        runAt: T0 - 5_000,
        leaseToken: 4,
      });
      const early = await addExecution(fx.store, { jobId: job.id, fireAt: T0, runAt: T0 + 800 });
      const claims = await claim(fx.store, 'me', { now: T0, until: T0 + 1_000 });
      expect(claims).toEqual([
        { execution: { ...late, leaseOwner: 'me', leaseUntil: T0 + LEASE, leaseToken: 5 }, job },
        {
          execution: { ...early, leaseOwner: 'me', leaseUntil: T0 + 800 + LEASE, leaseToken: 1 },
          job,
        },
      ]);
      for (const c of claims)
        expect(await fx.store.executionGet({ id: c.execution.id })).toEqual(c.execution);
    });

    test('concurrent claims never return the same execution', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const all: string[] = [];
      for (let i = 0; i < 30; i++) {
        all.push((await addExecution(store, { jobId: job.id, fireAt: T0 + i, runAt: T0 - i })).id);
      }
      const owners = ['a', 'b', 'c', 'd'];
      const results = await Promise.all(owners.map((owner) => claim(store, owner, { limit: 10 })));
      const got = results.flatMap((claims) => claimedIds(claims));
      expect(new Set(got).size).toBe(got.length);
      expect(sorted(got)).toEqual(sorted(all));
      for (const [i, claims] of results.entries()) {
        for (const c of claims)
          expect((await mustGet(store, c.execution.id)).leaseOwner).toBe(owners[i]);
      }
    });
  });
}
