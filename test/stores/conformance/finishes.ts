import { describe, expect, test } from 'vitest';
import type { ExecutionRecord } from '../../../src/stores/store.js';
import { T0, iso, makeAttempt, makeLastOutcome, makeStats } from '../records.js';
import {
  MIN,
  LEASE,
  type Fixture,
  addJob,
  addExecution,
  mustGet,
  runningBy,
  leased,
  claim,
  start,
  finish,
  agedOut,
} from './fixture.js';

// ---------------------------------------------------------------- finishes

export function finishTests(fx: Fixture): void {
  describe('executionsFinish', () => {
    async function runningExecution(overrides: Partial<ExecutionRecord> = {}) {
      const job = await addJob(fx.store, { lastOutcome: makeLastOutcome({ status: 'skipped' }) });
      const e = await addExecution(fx.store, {
        jobId: job.id,
        ...runningBy('me', 3),
        ...overrides,
      });
      return { job, e };
    }

    test('records a success, releases the lease and writes the last outcome', async () => {
      const { job, e } = await runningExecution();
      const attempt = makeAttempt({ attempt: 1, owner: 'me', startedAt: iso(T0 + 10) });
      const outcome = makeLastOutcome({ executionId: e.id });
      const request = finish(e, { attempt, result: { ok: true, n: [1, 2] }, lastOutcome: outcome });
      expect(await fx.store.executionsFinish({ finishes: [request] })).toEqual([true]);
      expect(await fx.store.executionGet({ id: e.id })).toEqual({
        ...e,
        status: 'succeeded',
        attempts: [attempt],
        result: { ok: true, n: [1, 2] },
        finishedAt: T0 + 1_000,
        leaseOwner: null,
        leaseUntil: null,
      });
      expect(await fx.store.jobGet({ id: job.id })).toEqual({
        ...job,
        lastOutcome: outcome,
        stats: makeStats({ succeeded: 1, lastSuccessAt: T0 + 1_000, lastFireAt: e.fireAt }),
        pruneAfter: agedOut(T0 + 1_000),
      });
      expect(await claim(fx.store, 'you', { now: T0 + MIN })).toEqual([]);
    });

    test("an end written under the holder's token by another instance (a replace's cancel) fences the holder out", async () => {
      const { e } = await runningExecution();
      const cancelled = makeAttempt({ attempt: 1, owner: 'me', outcome: 'cancelled' });
      const reason = { name: 'ChimeNotRun', code: 'replaced', message: 'replaced by a newer fire' };
      const cancel = finish(e, { status: 'cancelled', attempt: cancelled, error: reason });
      expect(await fx.store.executionsFinish({ finishes: [cancel] })).toEqual([true]);
      expect(await fx.store.executionGet({ id: e.id })).toMatchObject({
        status: 'cancelled',
        attempts: [cancelled],
        error: reason,
        leaseOwner: null,
      });
      // The holder's renewal and its own end are rejected from then on.
      const lease = [{ id: e.id, leaseToken: e.leaseToken }];
      expect(
        await fx.store.leasesRenew({ owner: 'me', leases: lease, until: T0 + 2 * LEASE }),
      ).toEqual([]);
      expect(await fx.store.executionsFinish({ finishes: [finish(e)] })).toEqual([false]);
    });

    test('an attempt that ran unmarked ends with its number and start; an abandoned one goes first', async () => {
      const job = await addJob(fx.store);
      const e = await addExecution(fx.store, { jobId: job.id, ...leased('me', 3) });
      const abandoned = makeAttempt({ attempt: 1, outcome: 'abandoned', owner: 'gone' });
      const attempt = makeAttempt({ attempt: 2, owner: 'me', startedAt: iso(T0 + 40) });
      const request = finish(e, { abandoned, attempt });
      expect(await fx.store.executionsFinish({ finishes: [request] })).toEqual([true]);
      expect(await mustGet(fx.store, e.id)).toMatchObject({
        status: 'succeeded',
        attempt: 2,
        startedAt: T0 + 40,
        attempts: [abandoned, attempt],
      });
    });

    test('records a failure for good with its error', async () => {
      const { e } = await runningExecution();
      const error = { message: 'boom', name: 'PermanentError', code: 'X' };
      const attempt = makeAttempt({ outcome: 'failed', error });
      const request = finish(e, { status: 'failed', attempt, error });
      expect(await fx.store.executionsFinish({ finishes: [request] })).toEqual([true]);
      expect(await mustGet(fx.store, e.id)).toMatchObject({
        status: 'failed',
        error,
        attempts: [attempt],
      });
      expect(await claim(fx.store, 'you', { now: T0 + MIN })).toEqual([]);
    });

    test('a retry reschedules the execution, releases the lease and is claimable at its runAt', async () => {
      const { store } = fx;
      const { job, e } = await runningExecution();
      const attempt = makeAttempt({
        outcome: 'failed',
        error: { message: 'flaky' },
        startedAt: iso(T0 + 10),
      });
      const retry = finish(e, {
        status: 'scheduled',
        runAt: T0 + 10_000,
        attempt,
        error: { message: 'flaky' },
        finishedAt: null,
      });
      expect(await store.executionsFinish({ finishes: [retry] })).toEqual([true]);
      const waiting = {
        ...e,
        status: 'scheduled' as const,
        runAt: T0 + 10_000,
        attempts: [attempt],
      };
      expect(await store.executionGet({ id: e.id })).toEqual({
        ...waiting,
        error: { message: 'flaky' },
        leaseOwner: null,
        leaseUntil: null,
      });
      expect(await store.jobGet({ id: job.id })).toEqual(job);

      expect(await claim(store, 'you', { now: T0, until: T0 + 9_999 })).toEqual([]);
      const [c] = await claim(store, 'you', { now: T0 + 9_000, until: T0 + 10_000 });
      expect(c?.execution).toMatchObject({
        id: e.id,
        leaseOwner: 'you',
        leaseToken: 4,
        attempts: [attempt],
      });
      if (!c) throw new Error('not claimed');
      const again = start(c.execution, { attempt: 2, startedAt: T0 + 10_000 });
      expect(await store.executionsStart({ starts: [again] })).toEqual(['started']);
      expect(await mustGet(store, e.id)).toMatchObject({
        status: 'running',
        attempt: 2,
        startedAt: T0 + 10_000,
      });
    });

    test('keepLeaseUntil keeps the lease for the onFailure delivery', async () => {
      const { store } = fx;
      const { e } = await runningExecution();
      const error = { message: 'dead' };
      const dead = finish(e, {
        status: 'failed',
        attempt: makeAttempt({ outcome: 'failed', error }),
        error,
        onFailure: 'pending',
        keepLeaseUntil: T0 + 50_000,
        lastOutcome: makeLastOutcome({ status: 'failed', executionId: e.id, error: 'dead' }),
      });
      expect(await store.executionsFinish({ finishes: [dead] })).toEqual([true]);
      const held = await mustGet(store, e.id);
      expect(held).toMatchObject({
        status: 'failed',
        onFailure: 'pending',
        leaseOwner: 'me',
        leaseUntil: T0 + 50_000,
        leaseToken: 3,
      });
      expect(await claim(store, 'you', { now: T0 + 40_000 })).toEqual([]);
      expect(await store.executionsStart({ starts: [start(e, { attempt: 2 })] })).toEqual([
        'rejected',
      ]);

      // An attempt's end cannot land on it any more: it is no longer running.
      expect(await store.executionsFinish({ finishes: [finish(e)] })).toEqual([false]);
      // The delivery names no attempt and no error: the recorded ones stay.
      const delivered = finish(e, {
        from: 'pending-delivery',
        status: 'failed',
        attempt: undefined,
        onFailure: 'delivered',
        finishedAt: T0 + 1_000,
      });
      expect(
        await store.executionsFinish({
          finishes: [{ ...delivered, leaseToken: e.leaseToken - 1 }],
        }),
      ).toEqual([false]);
      expect(await store.executionsFinish({ finishes: [delivered] })).toEqual([true]);
      expect(await store.executionGet({ id: e.id })).toEqual({
        ...held,
        onFailure: 'delivered',
        leaseOwner: null,
        leaseUntil: null,
      });
      expect(await claim(store, 'you', { now: T0 + 60_000 })).toEqual([]);
    });

    test('a pending onFailure whose lease expired is taken over', async () => {
      const { e } = await runningExecution({
        status: 'failed',
        onFailure: 'pending',
        finishedAt: T0 + 100,
        leaseUntil: T0 + 1_000,
      });
      const [c] = await fx.store.executionsTakeOver({
        owner: 'you',
        now: T0 + 2_000,
        leaseMs: LEASE,
        limit: 10,
      });
      expect(c?.execution).toMatchObject({
        id: e.id,
        status: 'failed',
        onFailure: 'pending',
        leaseOwner: 'you',
      });
      expect(c?.execution.attempts).toEqual([]);
    });

    test('a finish without result or error keeps the ones recorded', async () => {
      const { e } = await runningExecution({
        result: { earlier: true },
        error: { message: 'earlier' },
      });
      expect(await fx.store.executionsFinish({ finishes: [finish(e)] })).toEqual([true]);
      expect(await mustGet(fx.store, e.id)).toMatchObject({
        status: 'succeeded',
        result: { earlier: true },
        error: { message: 'earlier' },
      });
    });

    test('a finish with a JSON null result records null', async () => {
      const { e } = await runningExecution({ result: { earlier: true } });
      expect(await fx.store.executionsFinish({ finishes: [finish(e, { result: null })] })).toEqual([
        true,
      ]);
      expect((await mustGet(fx.store, e.id)).result).toBeNull();
    });

    test('is fenced: a stale token, a released lease or a vanished execution is refused', async () => {
      const { store } = fx;
      const { job, e } = await runningExecution();
      const released = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 - MIN,
        status: 'running',
        leaseToken: 3,
      });
      const results = await store.executionsFinish({
        finishes: [
          finish({ id: e.id, jobId: e.jobId, leaseToken: 2 }, { lastOutcome: makeLastOutcome() }),
          finish({ id: e.id, jobId: e.jobId, leaseToken: 4 }),
          finish(released),
          finish({ id: 'vanished', jobId: job.id, leaseToken: 3 }),
        ],
      });
      expect(results).toEqual([false, false, false, false]);
      expect(await store.executionGet({ id: e.id })).toEqual(e);
      expect(await store.executionGet({ id: released.id })).toEqual(released);
      expect(await store.jobGet({ id: job.id })).toEqual(job);
    });

    test('answers per request, in order', async () => {
      const { job, e } = await runningExecution();
      const b = await addExecution(fx.store, {
        jobId: job.id,
        fireAt: T0 + MIN,
        ...runningBy('me', 1),
      });
      const results = await fx.store.executionsFinish({
        finishes: [
          finish(e),
          finish({ id: b.id, jobId: b.jobId, leaseToken: 7 }),
          finish(b, { status: 'cancelled' }),
        ],
      });
      expect(results).toEqual([true, false, true]);
      expect((await mustGet(fx.store, b.id)).status).toBe('cancelled');
    });
  });
}
