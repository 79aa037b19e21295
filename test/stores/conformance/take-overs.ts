import { describe, expect, test } from 'vitest';
import type { ExecutionRecord } from '../../../src/stores/store.js';
import { T0, makeAttempt } from '../records.js';
import {
  LEASE,
  type Fixture,
  addJob,
  addExecution,
  mustGet,
  leased,
  runningBy,
  start,
  finish,
  claimedIds,
} from './fixture.js';

// ------------------------------------------------------------- take-overs

export function takeOverTests(fx: Fixture): void {
  describe('executionsTakeOver', () => {
    const now = T0 + 100_000;

    test('takes over only leases that expired before now, and bumps the token', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const add = (fireAt: number, overrides: Partial<ExecutionRecord>) =>
        addExecution(store, { jobId: job.id, fireAt, ...overrides });
      const expired = await add(T0, leased('old', 2, now - 1));
      await add(T0 + 1, leased('old', 2, now));
      await add(T0 + 2, leased('old', 2, now + 1));
      await add(T0 + 3, {});
      const claims = await store.executionsTakeOver({
        owner: 'new',
        now,
        leaseMs: LEASE,
        limit: 10,
      });
      const taken = {
        ...expired,
        ...{ status: 'running' as const, attempt: 1, startedAt: expired.runAt },
        ...{ leaseOwner: 'new', leaseUntil: now + LEASE, leaseToken: 3 },
      };
      expect(claims).toEqual([{ execution: taken, job, takenFrom: 'old' }]);
      expect(await store.executionGet({ id: expired.id })).toEqual(taken);
      expect(
        await store.executionsTakeOver({ owner: 'other', now, leaseMs: LEASE, limit: 10 }),
      ).toEqual([]);
    });

    test('names the previous holder of a running execution, and leaves its attempts to the engine', async () => {
      const job = await addJob(fx.store);
      const earlier = makeAttempt({ attempt: 1, outcome: 'failed', error: { message: 'x' } });
      const running = await addExecution(fx.store, {
        jobId: job.id,
        status: 'running',
        attempt: 2,
        attempts: [earlier],
        startedAt: T0 + 50,
        ...leased('old', 5, now - 1_000),
      });
      const [c] = await fx.store.executionsTakeOver({
        owner: 'new',
        now,
        leaseMs: LEASE,
        limit: 10,
      });
      expect(c?.takenFrom).toBe('old');
      expect(c?.execution).toEqual({
        ...running,
        leaseOwner: 'new',
        leaseUntil: now + LEASE,
        leaseToken: 6,
      });
      expect(await mustGet(fx.store, running.id)).toEqual(c?.execution);
    });

    test('marks started a planned execution whose instant came under the lease: it may have run from memory', async () => {
      const job = await addJob(fx.store);
      const ran = await addExecution(fx.store, {
        jobId: job.id,
        fireAt: T0,
        ...leased('old', 1, now - 1),
      });
      const [c] = await fx.store.executionsTakeOver({
        owner: 'new',
        now,
        leaseMs: LEASE,
        limit: 10,
      });
      expect(c?.takenFrom).toBe('old');
      expect(c?.execution.attempts).toEqual([]);
      expect(c?.execution).toMatchObject({
        id: ran.id,
        status: 'running',
        attempt: 1,
        startedAt: T0,
      });
      expect(await mustGet(fx.store, ran.id)).toEqual(c?.execution);
    });

    test('takes over as it was a planned execution whose instant its lease never reached', async () => {
      const job = await addJob(fx.store);
      const never = await addExecution(fx.store, {
        jobId: job.id,
        fireAt: now + 5_000,
        ...leased('old', 1, now - 1),
      });
      const [c] = await fx.store.executionsTakeOver({
        owner: 'new',
        now,
        leaseMs: LEASE,
        limit: 10,
      });
      expect(c?.execution.attempts).toEqual([]);
      expect(c?.execution).toMatchObject({ id: never.id, status: 'scheduled', attempt: 0 });
      expect(c?.execution.startedAt).toBeNull();
    });

    test('fences out the old holder', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const e = await addExecution(store, {
        jobId: job.id,
        ...runningBy('old', 5),
        leaseUntil: now - 1,
      });
      const [c] = await store.executionsTakeOver({ owner: 'new', now, leaseMs: LEASE, limit: 10 });
      if (!c) throw new Error('not taken over');
      const stale = { id: e.id, leaseToken: 5 };
      expect(await store.executionsStart({ starts: [start(stale, { attempt: 2 })] })).toEqual([
        'rejected',
      ]);
      expect(
        await store.executionsFinish({ finishes: [finish({ ...stale, jobId: e.jobId })] }),
      ).toEqual([false]);
      expect(
        await store.leasesRenew({ owner: 'old', leases: [stale], until: now + 2 * LEASE }),
      ).toEqual([]);
      await store.leasesRelease({ leases: [stale] });
      expect(await store.executionGet({ id: e.id })).toEqual(c.execution);

      expect(await store.executionsStart({ starts: [start(c.execution, { attempt: 2 })] })).toEqual(
        ['started'],
      );
      expect(
        await store.leasesRenew({ owner: 'new', leases: [c.execution], until: now + 2 * LEASE }),
      ).toEqual([e.id]);
    });

    test('takes over up to limit', async () => {
      const job = await addJob(fx.store);
      for (let i = 0; i < 3; i++) {
        await addExecution(fx.store, {
          jobId: job.id,
          fireAt: T0 + i,
          ...leased('old', 1, now - 10 + i),
        });
      }
      const first = await fx.store.executionsTakeOver({
        owner: 'new',
        now,
        leaseMs: LEASE,
        limit: 2,
      });
      const second = await fx.store.executionsTakeOver({
        owner: 'new',
        now,
        leaseMs: LEASE,
        limit: 2,
      });
      expect(first).toHaveLength(2);
      expect(second).toHaveLength(1);
      expect(new Set([...claimedIds(first), ...claimedIds(second)]).size).toBe(3);
    });
  });
}
