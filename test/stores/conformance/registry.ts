import { describe, expect, test } from 'vitest';
import { isChimeError } from '../../../src/errors.js';
import { SHARDS, type InstanceInfo, type Share } from '../../../src/stores/instances.js';
import { shardOf } from '../../../src/stores/rules.js';
import type { JobRecord, Store } from '../../../src/stores/store.js';
import { T0 } from '../records.js';
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
  claim,
  claimedIds,
  ids,
  sorted,
} from './fixture.js';

// --------------------------------------------------------------- registry

/** Instances are dead after this much silence in these tests. */
const DEAD_AFTER = 5_000;

function instance(id: string, overrides: Partial<InstanceInfo> = {}): InstanceInfo {
  return {
    id,
    host: 'host-a',
    pid: 4242,
    version: '1.2.3',
    startedAt: T0,
    capacity: 50,
    ...overrides,
  };
}

function register(store: Store, id: string, now = T0) {
  return store.instanceRegister({ instance: instance(id), now, deadBefore: now - DEAD_AFTER });
}

function beat(store: Store, id: string, now: number, held = 0, running = 0) {
  return store.instanceBeat({ id, now, held, running, deadBefore: now - DEAD_AFTER });
}

export function registryTests(fx: Fixture): void {
  describe('registry', () => {
    test('a registered instance is listed with what it said of itself, nothing held yet', async () => {
      await register(fx.store, 'a', T0 + 7);
      expect(await fx.store.instancesList()).toEqual([
        { ...instance('a'), lastSeenAt: T0 + 7, held: 0, running: 0 },
      ]);
    });

    test('a sign of life records what the instance holds and answers the live set by id', async () => {
      await register(fx.store, 'b');
      await register(fx.store, 'a');
      const result = await beat(fx.store, 'b', T0 + 1_000, 12, 3);
      expect(result.registered).toBe(true);
      expect(result.declaredDead).toEqual([]);
      expect(result.live).toEqual([
        { ...instance('a'), lastSeenAt: T0, held: 0, running: 0 },
        { ...instance('b'), lastSeenAt: T0 + 1_000, held: 12, running: 3 },
      ]);
      expect(await fx.store.instancesList()).toEqual(result.live);
    });

    test('an id a live instance holds cannot be registered again', async () => {
      await register(fx.store, 'a');
      const error = await register(fx.store, 'a', T0 + DEAD_AFTER).catch((err: unknown) => err);
      expect(isChimeError(error, 'CHIME_ERR_INSTANCE_ID_TAKEN')).toBe(true);
      expect(ids(await fx.store.instancesList())).toEqual(['a']);
    });

    test('an id whose instance went silent is registered again, and the old leases are void', async () => {
      const job = await addJob(fx.store);
      await register(fx.store, 'a');
      const later = T0 + 2 * DEAD_AFTER;
      const held = await addExecution(fx.store, {
        jobId: job.id,
        fireAt: later,
        ...leased('a', 4),
      });
      await register(fx.store, 'a', T0 + DEAD_AFTER + 1);
      expect(await fx.store.instancesList()).toMatchObject([
        { id: 'a', lastSeenAt: T0 + DEAD_AFTER + 1 },
      ]);
      expect(await mustGet(fx.store, held.id)).toMatchObject({ leaseOwner: null, leaseToken: 5 });
    });

    test('a silent instance is declared dead by the first beat that sees it, once', async () => {
      await register(fx.store, 'a');
      await register(fx.store, 'b', T0 + DEAD_AFTER);
      await register(fx.store, 'c', T0 + DEAD_AFTER);
      const now = T0 + DEAD_AFTER + 1;
      const [first, second] = await Promise.all([
        beat(fx.store, 'b', now),
        beat(fx.store, 'c', now),
      ]);
      expect(sorted([...(first?.declaredDead ?? []), ...(second?.declaredDead ?? [])])).toEqual([
        'a',
      ]);
      expect(ids(second?.live ?? [])).toEqual(['b', 'c']);
      expect(ids(await fx.store.instancesList())).toEqual(['b', 'c']);
    });

    test('an instance silent for less than the dead time stays', async () => {
      await register(fx.store, 'a');
      await register(fx.store, 'b');
      const result = await beat(fx.store, 'b', T0 + DEAD_AFTER);
      expect(result.declaredDead).toEqual([]);
      expect(ids(result.live)).toEqual(['a', 'b']);
    });

    test("a death voids the dead instance's leases: work it cannot have started is released, the rest expires", async () => {
      const job = await addJob(fx.store);
      await register(fx.store, 'dead');
      await register(fx.store, 'alive');
      const add = (fireAt: number, overrides: object) =>
        addExecution(fx.store, { jobId: job.id, fireAt, ...overrides });
      // Its last sign of life was at T0: it started nothing due after T0 + DEAD_AFTER.
      const unstarted = await add(T0 + DEAD_AFTER, leased('dead', 3, T0 + LEASE));
      const maybeRun = await add(T0 + DEAD_AFTER - 1, leased('dead', 5, T0 + LEASE));
      const running = await add(T0 + 2, runningBy('dead', 7));
      const pending = await add(T0 + 3, {
        ...leased('dead', 2, T0 + LEASE),
        status: 'failed',
        attempt: 1,
        onFailure: 'pending',
        finishedAt: T0,
      });
      const others = await add(T0 + 4, leased('alive', 1, T0 + LEASE));
      const now = T0 + DEAD_AFTER + 1;
      expect((await beat(fx.store, 'alive', now)).declaredDead).toEqual(['dead']);

      expect(await mustGet(fx.store, unstarted.id)).toMatchObject({
        status: 'scheduled',
        attempt: 0,
        leaseOwner: null,
        leaseUntil: null,
        leaseToken: 4,
      });
      // Due while it was alive: it may have run from memory, so it counts as started.
      expect(await mustGet(fx.store, maybeRun.id)).toMatchObject({
        status: 'running',
        attempt: 1,
        startedAt: maybeRun.runAt,
      });
      for (const [e, token] of [
        [running, 8],
        [maybeRun, 6],
        [pending, 3],
      ] as const) {
        expect(await mustGet(fx.store, e.id)).toMatchObject({
          leaseOwner: 'dead',
          leaseUntil: now - 1,
          leaseToken: token,
        });
      }
      expect(await mustGet(fx.store, others.id)).toEqual(others);

      // Released work is claimable at once, and counts no attempt.
      expect(claimedIds(await claim(fx.store, 'alive', { now, until: now }))).toEqual([
        unstarted.id,
      ]);
      // Started work is taken over at once: its attempt is abandoned, the next one is its retry.
      const taken = await fx.store.executionsTakeOver({
        owner: 'alive',
        now,
        leaseMs: LEASE,
        limit: 10,
      });
      expect(sorted(claimedIds(taken))).toEqual(sorted([running.id, maybeRun.id, pending.id]));
      const retaken = taken.find((c) => c.execution.id === running.id);
      expect(retaken?.takenFrom).toBe('dead');
      expect(retaken?.execution).toMatchObject({ status: 'running', attempt: 1 });
    });

    test("the dead instance's late writes are fenced out, and its beat says it is no longer registered", async () => {
      const job = await addJob(fx.store);
      await register(fx.store, 'dead');
      await register(fx.store, 'alive');
      const unstarted = await addExecution(fx.store, {
        jobId: job.id,
        fireAt: T0 + 1,
        ...leased('dead', 1),
      });
      const running = await addExecution(fx.store, {
        jobId: job.id,
        fireAt: T0 + 2,
        ...runningBy('dead', 1),
      });
      const now = T0 + DEAD_AFTER + 1;
      await beat(fx.store, 'alive', now);

      expect(await fx.store.executionsStart({ starts: [start(unstarted)] })).toEqual(['rejected']);
      expect(await fx.store.executionsFinish({ finishes: [finish(running)] })).toEqual([false]);
      const renewed = await fx.store.leasesRenew({
        owner: 'dead',
        leases: [unstarted, running].map((e) => ({ id: e.id, leaseToken: e.leaseToken })),
        until: now + LEASE,
      });
      expect(renewed).toEqual([]);
      expect(await mustGet(fx.store, running.id)).toMatchObject({
        status: 'running',
        leaseUntil: now - 1,
      });

      const late = await beat(fx.store, 'dead', now + 10);
      expect(late.registered).toBe(false);
      expect(ids(late.live)).toEqual(['alive']);
      // It registers again, cleanly, under the same id.
      await register(fx.store, 'dead', now + 20);
      expect(ids(await fx.store.instancesList())).toEqual(['alive', 'dead']);
    });

    test('deregistering removes the instance and voids whatever it still leased', async () => {
      const job = await addJob(fx.store);
      await register(fx.store, 'a');
      const add = (fireAt: number) =>
        addExecution(fx.store, { jobId: job.id, fireAt, ...leased('a', 1) });
      const [held, due] = [await add(T0 + 5), await add(T0 + 4)];
      await fx.store.instanceDeregister({ id: 'a', now: T0 + 5 });
      expect(await fx.store.instancesList()).toEqual([]);
      expect(await mustGet(fx.store, held.id)).toMatchObject({ leaseOwner: null, leaseToken: 2 });
      // What came due before it left may have run: it is taken over.
      expect(await mustGet(fx.store, due.id)).toMatchObject({
        status: 'running',
        leaseOwner: 'a',
        leaseUntil: T0 + 4,
        leaseToken: 2,
      });
      expect((await beat(fx.store, 'a', T0 + 10)).registered).toBe(false);
    });
  });

  describe('shares', () => {
    /** Four shares that split the shards, each also taking what is due by `othersBefore`. */
    const quarters = (othersBefore: number): Share[] =>
      [0, 1, 2, 3].map((i) => ({
        from: (i * SHARDS) / 4,
        to: ((i + 1) * SHARDS) / 4,
        othersBefore,
      }));
    const quarterOf = (jobId: string) => Math.floor((shardOf(jobId) * 4) / SHARDS);

    test('jobsDue of a share: the jobs of its shards, and any due by othersBefore', async () => {
      const jobs: JobRecord[] = [];
      for (let i = 0; i < 40; i++)
        jobs.push(await addJob(fx.store, { id: `job-${i}`, nextFireAt: T0 + i * 10 }));
      const othersBefore = T0 + 95;
      const shares = quarters(othersBefore);
      const answers = await Promise.all(
        shares.map((share) => fx.store.jobsDue({ before: T0 + 1_000, limit: 100, share })),
      );
      answers.forEach((answer, q) => {
        const expected = jobs.filter(
          (j) => (j.nextFireAt ?? 0) <= othersBefore || quarterOf(j.id) === q,
        );
        expect(ids(answer)).toEqual(ids(expected));
      });
      // Every job beyond othersBefore falls to exactly one share.
      const late = answers.flatMap((a) => a.filter((j) => (j.nextFireAt ?? 0) > othersBefore));
      expect(sorted(ids(late))).toEqual(
        sorted(ids(jobs.filter((j) => (j.nextFireAt ?? 0) > othersBefore))),
      );
      expect(new Set(answers.map((a) => a.length)).size).toBeGreaterThan(0);
    });

    test('executionsClaim of a share: the work of its jobs, and any due by othersBefore', async () => {
      const work = [];
      for (let i = 0; i < 40; i++) {
        const job = await addJob(fx.store, { id: `job-${i}` });
        work.push(await addExecution(fx.store, { jobId: job.id, runAt: T0 + i * 10 }));
      }
      const othersBefore = T0 + 95;
      const shares = quarters(othersBefore);
      const claimed = [];
      for (const [q, share] of shares.entries()) {
        const claims = await fx.store.executionsClaim({
          owner: `o${q}`,
          now: T0,
          until: T0 + 1_000,
          leaseMs: LEASE,
          limit: 100,
          share,
        });
        for (const c of claims) {
          expect(c.execution.runAt <= othersBefore || quarterOf(c.job.id) === q).toBe(true);
        }
        claimed.push(...claimedIds(claims));
      }
      // Together the shares claim all of it, each execution once.
      expect(sorted(claimed)).toEqual(sorted(ids(work)));
    });

    test('the shards of a hundred ids are the ones shardOf computes', async () => {
      const jobIds = Array.from({ length: 100 }, (_, i) => `id-${i}-${'x'.repeat(i % 7)}`);
      for (const id of jobIds) await addJob(fx.store, { id, nextFireAt: T0 });
      for (const shard of [0, 1_000, 30_000, SHARDS - 1]) {
        const share = { from: shard, to: shard + 10_000, othersBefore: T0 - 1 };
        const due = await fx.store.jobsDue({ before: T0, limit: 200, share });
        const expected = jobIds.filter((id) => shardOf(id) >= share.from && shardOf(id) < share.to);
        expect(sorted(ids(due))).toEqual(sorted(expected));
      }
    });
  });
}
