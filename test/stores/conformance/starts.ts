import { describe, expect, test } from 'vitest';
import type { ExecutionRecord } from '../../../src/stores/store.js';
import { T0, makeAttempt } from '../records.js';
import {
  MIN,
  LEASE,
  type Fixture,
  addJob,
  addExecution,
  mustGet,
  leased,
  runningBy,
  start,
} from './fixture.js';

// ------------------------------------------------------------------ starts

interface OverlapCase {
  name: string;
  earlier: Partial<ExecutionRecord>;
  /** The other execution's fireAt relative to the started one's (T0 + MIN). */
  fireAt?: number;
  otherJob?: boolean;
  forbid?: boolean;
  /** The started one was added by a backfill. */
  backfilled?: boolean;
  expected: 'started' | 'overlapping';
}

const OVERLAP_CASES: OverlapCase[] = [
  { name: 'an earlier one runs', earlier: runningBy('x', 1), expected: 'overlapping' },
  {
    name: 'an earlier one waits for a retry',
    earlier: { status: 'scheduled', attempt: 1, runAt: T0 + 2 * MIN },
    expected: 'overlapping',
  },
  {
    name: 'an earlier one runs after its holder released it',
    earlier: { status: 'running', attempt: 1, startedAt: T0 },
    expected: 'overlapping',
  },
  {
    name: 'the earlier one succeeded',
    earlier: { status: 'succeeded', attempt: 1 },
    expected: 'started',
  },
  {
    name: 'the earlier one failed',
    earlier: { status: 'failed', attempt: 1 },
    expected: 'started',
  },
  { name: 'the earlier one was skipped', earlier: { status: 'skipped' }, expected: 'started' },
  { name: 'the earlier one never started', earlier: leased('x', 1), expected: 'started' },
  {
    name: 'only a later one runs',
    earlier: runningBy('x', 1),
    fireAt: T0 + 2 * MIN,
    expected: 'started',
  },
  {
    name: "another job's earlier one runs",
    earlier: runningBy('x', 1),
    otherJob: true,
    expected: 'started',
  },
  { name: 'overlap is allowed', earlier: runningBy('x', 1), forbid: false, expected: 'started' },
  {
    name: 'a backfilled one: the earlier one never started',
    earlier: leased('x', 1),
    backfilled: true,
    expected: 'overlapping',
  },
  {
    name: 'a backfilled one: the earlier one is not claimed yet',
    earlier: { backfill: true },
    backfilled: true,
    expected: 'overlapping',
  },
  {
    name: 'a backfilled one: the earlier one succeeded',
    earlier: { status: 'succeeded', attempt: 1 },
    backfilled: true,
    expected: 'started',
  },
  {
    name: 'a backfilled one: only a later one waits',
    earlier: {},
    fireAt: T0 + 2 * MIN,
    backfilled: true,
    expected: 'started',
  },
];

export function startTests(fx: Fixture): void {
  describe('executionsStart', () => {
    test('marks a claimed execution running with its attempt and start time', async () => {
      const job = await addJob(fx.store);
      const e = await addExecution(fx.store, { jobId: job.id, ...leased('me', 1) });
      const request = start(e, { attempt: 1, startedAt: T0 + 5 });
      expect(await fx.store.executionsStart({ starts: [request] })).toEqual(['started']);
      expect(await fx.store.executionGet({ id: e.id })).toEqual({
        ...e,
        status: 'running',
        attempt: 1,
        startedAt: T0 + 5,
      });
    });

    test('rejects a stale token, a vanished execution, a released lease and finished work', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const held = await addExecution(store, { jobId: job.id, fireAt: T0, ...leased('me', 2) });
      const released = await addExecution(store, { jobId: job.id, fireAt: T0 + 1, leaseToken: 2 });
      const pending = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 + 2,
        status: 'failed',
        attempt: 1,
        onFailure: 'pending',
        ...leased('me', 2),
      });
      const results = await store.executionsStart({
        starts: [
          start({ id: held.id, leaseToken: 1 }),
          start({ id: held.id, leaseToken: 3 }),
          start({ id: 'vanished', leaseToken: 1 }),
          start(released),
          start(pending, { attempt: 2 }),
        ],
      });
      expect(results).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
      for (const e of [held, released, pending])
        expect(await store.executionGet({ id: e.id })).toEqual(e);
    });

    test('fences on the attempt number: one claim never starts twice', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const e = await addExecution(store, { jobId: job.id, ...leased('me', 1) });
      expect(await store.executionsStart({ starts: [start(e), start(e)] })).toEqual([
        'started',
        'rejected',
      ]);
      expect(await store.executionsStart({ starts: [start(e)] })).toEqual(['rejected']);
      expect(await store.executionsStart({ starts: [start(e, { attempt: 3 })] })).toEqual([
        'rejected',
      ]);
      expect(await mustGet(store, e.id)).toMatchObject({ status: 'running', attempt: 1 });
      // Taken over under a new token, the next attempt number starts.
      const [taken] = await store.executionsTakeOver({
        owner: 'you',
        now: T0 + LEASE + 1,
        leaseMs: LEASE,
        limit: 10,
      });
      if (!taken) throw new Error('no take-over');
      expect(await store.executionsStart({ starts: [start(taken.execution)] })).toEqual([
        'started',
      ]);
      expect(await mustGet(store, e.id)).toMatchObject({ status: 'running', attempt: 2 });
    });

    test('appends the attempt a previous holder abandoned, with the start', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const e = await addExecution(store, {
        jobId: job.id,
        ...runningBy('gone', 1),
        attempts: [makeAttempt({ attempt: 1, outcome: 'failed', error: { message: 'x' } })],
        attempt: 1,
      });
      const [taken] = await store.executionsTakeOver({
        owner: 'me',
        now: T0 + LEASE + 1,
        leaseMs: LEASE,
        limit: 10,
      });
      if (!taken) throw new Error('no take-over');
      const abandoned = makeAttempt({ attempt: 1, owner: 'gone', outcome: 'abandoned' });
      const request = start(taken.execution, { abandoned, startedAt: T0 + LEASE + 2 });
      expect(await store.executionsStart({ starts: [request] })).toEqual(['started']);
      expect(await mustGet(store, e.id)).toMatchObject({
        status: 'running',
        attempt: 2,
        startedAt: T0 + LEASE + 2,
        attempts: [...e.attempts, abandoned],
      });
    });

    test('answers per request, in order', async () => {
      const job = await addJob(fx.store);
      const a = await addExecution(fx.store, { jobId: job.id, fireAt: T0, ...leased('me', 1) });
      const b = await addExecution(fx.store, { jobId: job.id, fireAt: T0 + 1, ...leased('me', 1) });
      const results = await fx.store.executionsStart({
        starts: [start(a), start({ id: b.id, leaseToken: 9 }), start(b)],
      });
      expect(results).toEqual(['started', 'rejected', 'started']);
    });

    test.each(OVERLAP_CASES)('unlessOverlapping: $expected when $name', async (c) => {
      const { store } = fx;
      const job = await addJob(store);
      const other = c.otherJob ? await addJob(store) : job;
      await addExecution(store, { jobId: other.id, fireAt: c.fireAt ?? T0, ...c.earlier });
      const mark = c.backfilled ? { backfill: true as const } : {};
      const e = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 + MIN,
        ...leased('me', 1),
        ...mark,
      });
      const request = start(e, { startedAt: T0 + MIN + 5, unlessOverlapping: c.forbid ?? true });
      expect(await store.executionsStart({ starts: [request] })).toEqual([c.expected]);
      const after = await mustGet(store, e.id);
      if (c.expected === 'overlapping') {
        // Nothing written: the engine decides what an overlapping fire becomes.
        expect(after).toEqual(e);
      } else {
        expect(after).toMatchObject({
          status: 'running',
          attempt: 1,
          leaseOwner: 'me',
          startedAt: T0 + MIN + 5,
        });
      }
    });

    test('two starts of one job in one batch: the later fire overlaps', async () => {
      const job = await addJob(fx.store);
      const a = await addExecution(fx.store, { jobId: job.id, fireAt: T0, ...leased('me', 1) });
      const b = await addExecution(fx.store, {
        jobId: job.id,
        fireAt: T0 + MIN,
        ...leased('me', 1),
      });
      const results = await fx.store.executionsStart({
        starts: [start(a, { unlessOverlapping: true }), start(b, { unlessOverlapping: true })],
      });
      expect(results).toEqual(['started', 'overlapping']);
    });
  });

  describe('executionsMarkRunning', () => {
    test('marks attempts that run long running, fenced; answers the ids marked', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const add = (fireAt: number, overrides: Partial<ExecutionRecord>) =>
        addExecution(store, { jobId: job.id, fireAt, ...overrides });
      const held = await add(T0, leased('me', 2));
      const stale = await add(T0 + 1, leased('me', 2));
      const released = await add(T0 + 2, { leaseToken: 2 });
      const running = await add(T0 + 3, runningBy('me', 2));
      const ended = await add(T0 + 4, { ...leased('me', 2), status: 'succeeded', attempt: 1 });
      const mark = (e: ExecutionRecord, leaseToken = e.leaseToken) => ({
        id: e.id,
        leaseToken,
        attempt: e.attempt + 1,
        startedAt: T0 + 50,
      });
      const marked = await store.executionsMarkRunning({
        marks: [mark(held), mark(stale, 1), mark(released), mark(running), mark(ended)],
      });
      expect(marked).toEqual([held.id]);
      expect(await mustGet(store, held.id)).toEqual({
        ...held,
        status: 'running',
        attempt: 1,
        startedAt: T0 + 50,
      });
      for (const e of [stale, released, running, ended])
        expect(await mustGet(store, e.id)).toEqual(e);
      expect(await store.executionsMarkRunning({ marks: [] })).toEqual([]);
    });
  });
}
