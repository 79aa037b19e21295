import { describe, expect, test } from 'vitest';
import { T0 } from '../records.js';
import {
  LEASE,
  type Fixture,
  addJob,
  addExecution,
  leased,
  runningBy,
  claim,
  claimedIds,
  sorted,
} from './fixture.js';

// ------------------------------------------------------------------ leases

export function leaseTests(fx: Fixture): void {
  describe('leases', () => {
    test('leasesRenew extends only leases held by the owner with the token, and names them', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const mine = await addExecution(store, { jobId: job.id, fireAt: T0, ...runningBy('me', 2) });
      const alsoMine = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 + 1,
        ...leased('me', 1),
      });
      const theirs = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 + 2,
        ...leased('you', 1),
      });
      const released = await addExecution(store, { jobId: job.id, fireAt: T0 + 3, leaseToken: 1 });
      const until = T0 + 3 * LEASE;
      const renewed = await store.leasesRenew({
        owner: 'me',
        leases: [
          mine,
          { id: alsoMine.id, leaseToken: 2 },
          theirs,
          released,
          { id: 'vanished', leaseToken: 1 },
          alsoMine,
        ],
        until,
      });
      expect(sorted(renewed)).toEqual(sorted([mine.id, alsoMine.id]));
      expect(await store.executionGet({ id: mine.id })).toEqual({ ...mine, leaseUntil: until });
      expect(await store.executionGet({ id: alsoMine.id })).toEqual({
        ...alsoMine,
        leaseUntil: until,
      });
      expect(await store.executionGet({ id: theirs.id })).toEqual(theirs);
      expect(await store.executionGet({ id: released.id })).toEqual(released);
    });

    test('leasesRelease gives work back to be claimed at once; a wrong token releases nothing', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const a = await addExecution(store, { jobId: job.id, fireAt: T0 });
      const b = await addExecution(store, { jobId: job.id, fireAt: T0 + 1 });
      const claims = await claim(store, 'me');
      expect(claimedIds(claims)).toEqual([a.id, b.id]);
      const [ca, cb] = claims.map((c) => c.execution);
      if (!ca || !cb) throw new Error('not claimed');

      await store.leasesRelease({ leases: [ca, { id: cb.id, leaseToken: cb.leaseToken + 1 }] });
      expect(await store.executionGet({ id: a.id })).toEqual({
        ...ca,
        leaseOwner: null,
        leaseUntil: null,
      });
      expect(await store.executionGet({ id: b.id })).toEqual(cb);

      const again = await claim(store, 'you');
      expect(again).toEqual([
        { execution: { ...ca, leaseOwner: 'you', leaseToken: ca.leaseToken + 1 }, job },
      ]);
    });

    test('a released running execution is claimed again', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const e = await addExecution(store, { jobId: job.id, ...runningBy('me', 1) });
      await store.leasesRelease({ leases: [e] });
      const [c] = await claim(store, 'you');
      expect(c?.execution).toMatchObject({
        id: e.id,
        status: 'running',
        leaseOwner: 'you',
        leaseToken: 2,
      });
    });
  });
}
