/**
 * The store conformance suite: one set of tests every store runs unchanged
 * (`describeStoreConformance('sqlite', makeStore)`). It states the contract of
 * `src/stores/store.ts` as behaviour: jobs and their compare-and-set, planning,
 * one execution per `(jobId, fireAt)` of a schedule, claims, take-overs,
 * fencing by lease token, the overlap rule, retries, the onFailure hand-off,
 * listings and JSON round trips, the run statistics a store keeps per job,
 * the pruning of finished executions and the staleness of jobs. Each test
 * gets a fresh, opened store.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { PRUNE_DELAY_MS } from '../../src/stores/rules.js';
import type {
  Claim,
  ExecutionRecord,
  FinishRequest,
  JobPlan,
  JobRecord,
  JobWrite,
  Retention,
  StartRequest,
  Store,
} from '../../src/stores/store.js';
import {
  T0,
  iso,
  makeAttempt,
  makeExecutionRecord,
  makeJobRecord,
  makeLastOutcome,
  makeRetention,
  makeStats,
  targetOfType,
} from './records.js';

/** What a store's test file hands the suite for each test. */
export interface StoreUnderTest {
  /** A fresh, empty store, not yet opened (the suite opens it). */
  store: Store;
  /** Removes what the store left behind (files, schemas); the suite closes the store first. */
  cleanup: () => Promise<void>;
  /** True when data outlives the store object: the suite then checks close and reopen. */
  durable?: boolean;
  /** A new, unopened store over the same data (required when `durable`). */
  reopen?: () => Promise<Store>;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const LEASE = 30_000;
/** The retention of requests that name none: keep the last 100, for 7 days. */
const RETENTION = makeRetention();

/** Holds the store of the running test. */
class Fixture {
  private current: StoreUnderTest | undefined;

  get store(): Store {
    if (!this.current) throw new Error('no store: the suite hooks did not run');
    return this.current.store;
  }

  get harness(): StoreUnderTest {
    if (!this.current) throw new Error('no store: the suite hooks did not run');
    return this.current;
  }

  async setUp(makeStore: () => Promise<StoreUnderTest>): Promise<void> {
    this.current = await makeStore();
    await this.current.store.open();
  }

  async tearDown(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    if (!current) return;
    try {
      await current.store.close();
    } finally {
      await current.cleanup();
    }
  }
}

/**
 * Registers the conformance suite for one store. `makeStore` is called before
 * every test and must return an empty store; `cleanup` runs after it.
 */
export function describeStoreConformance(
  name: string,
  makeStore: () => Promise<StoreUnderTest>,
): void {
  describe(`store conformance: ${name}`, () => {
    const fx = new Fixture();
    beforeEach(() => fx.setUp(makeStore));
    afterEach(() => fx.tearDown());

    lifecycleTests(fx);
    jobTests(fx);
    jobBatchTests(fx);
    jobListingTests(fx);
    advanceTests(fx);
    executionTests(fx);
    claimTests(fx);
    takeOverTests(fx);
    startTests(fx);
    finishTests(fx);
    leaseTests(fx);
    statsTests(fx);
    pruneAfterTests(fx);
    pruneTests(fx);
    staleTests(fx);
  });
}

// ---------------------------------------------------------------- helpers

async function addJob(store: Store, overrides: Partial<JobRecord> = {}): Promise<JobRecord> {
  const job = makeJobRecord(overrides);
  expect(await store.jobInsert({ job })).toBe(true);
  return job;
}

async function addExecution(
  store: Store,
  overrides: Partial<ExecutionRecord> & Pick<ExecutionRecord, 'jobId'>,
): Promise<ExecutionRecord> {
  const execution = makeExecutionRecord(overrides);
  await store.executionInsert({ execution });
  return execution;
}

async function mustGet(store: Store, id: string): Promise<ExecutionRecord> {
  const execution = await store.executionGet({ id });
  if (!execution) throw new Error(`execution ${id} is missing`);
  return execution;
}

async function mustGetJob(store: Store, id: string): Promise<JobRecord> {
  const job = await store.jobGet({ id });
  if (!job) throw new Error(`job ${id} is missing`);
  return job;
}

/** Lease fields of an execution held by `owner` with `token`. */
function leased(owner: string, token: number, until = T0 + LEASE): Partial<ExecutionRecord> {
  return { leaseOwner: owner, leaseToken: token, leaseUntil: until };
}

/** An execution whose first attempt runs, held by `owner`. */
function runningBy(owner: string, token: number): Partial<ExecutionRecord> {
  return { ...leased(owner, token), status: 'running', attempt: 1, startedAt: T0 + 10 };
}

function plan(job: JobRecord, overrides: Partial<JobPlan> = {}): JobPlan {
  const expected = job.nextFireAt ?? T0;
  return {
    jobId: job.id,
    expectedVersion: job.version,
    expectedNextFireAt: expected,
    nextFireAt: expected + MIN,
    completedAt: null,
    lastOutcome: null,
    executions: [],
    retention: RETENTION,
    ...overrides,
  };
}

function claim(
  store: Store,
  owner: string,
  params: { now?: number; until?: number; limit?: number } = {},
) {
  const now = params.now ?? T0;
  return store.executionsClaim({
    owner,
    now,
    until: params.until ?? now + 1_000,
    leaseMs: LEASE,
    limit: params.limit ?? 100,
  });
}

function start(
  e: Pick<ExecutionRecord, 'id' | 'leaseToken'> & { attempt?: number },
  overrides: Partial<StartRequest> = {},
): StartRequest {
  return {
    id: e.id,
    leaseToken: e.leaseToken,
    attempt: (e.attempt ?? 0) + 1,
    startedAt: T0 + 10,
    forbidOverlap: false,
    retention: RETENTION,
    ...overrides,
  };
}

function finish(
  e: Pick<ExecutionRecord, 'id' | 'leaseToken'>,
  overrides: Partial<FinishRequest> = {},
): FinishRequest {
  return {
    id: e.id,
    leaseToken: e.leaseToken,
    from: 'running',
    status: 'succeeded',
    attempt: makeAttempt(),
    onFailure: null,
    finishedAt: T0 + 1_000,
    lastOutcome: null,
    retention: RETENTION,
    ...overrides,
  };
}

/** When the pruner looks at an execution finished at `finishedAt` for its age, under `retention`. */
function agedOut(finishedAt: number, retention: Retention = RETENTION): number {
  return finishedAt + retention.maxAgeMs + PRUNE_DELAY_MS;
}

function ids(records: readonly { id: string }[]): string[] {
  return records.map((r) => r.id);
}

function claimedIds(claims: readonly Claim[]): string[] {
  return claims.map((c) => c.execution.id);
}

function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}

/** Newest first by `(fireAt, id)`, written here independently of the stores' own rules. */
function newestFirst(a: ExecutionRecord, b: ExecutionRecord): number {
  if (a.fireAt !== b.fireAt) return b.fireAt - a.fireAt;
  return a.id < b.id ? 1 : -1;
}

// -------------------------------------------------------------- lifecycle

function lifecycleTests(fx: Fixture): void {
  describe('lifecycle', () => {
    test('names itself and states its capabilities', () => {
      expect(fx.store.name).toMatch(/^[a-z]+$/);
      expect(typeof fx.store.capabilities.notify).toBe('boolean');
    });

    test('open() and close() are idempotent', async () => {
      await fx.store.open();
      await fx.store.open();
      const job = await addJob(fx.store);
      expect(await fx.store.jobGet({ id: job.id })).toEqual(job);
      await fx.store.close();
      await fx.store.close();
    });

    test('data survives close and reopen (durable stores)', async (ctx) => {
      const { durable, reopen } = fx.harness;
      if (!durable) ctx.skip();
      if (!reopen) throw new Error('a durable store must provide reopen()');
      const job = await addJob(fx.store, {
        lastOutcome: makeLastOutcome(),
        definition: definitionWith({ x: 'ü' }),
        staleAfterMs: HOUR,
        stats: makeStats({ lastFireAt: T0 - 3 * MIN, lastSuccessAt: T0 - MIN, succeeded: 4 }),
        staleSince: T0 - 5,
        pruneAfter: T0 + HOUR,
      });
      const planned = await addExecution(fx.store, { jobId: job.id, fireAt: T0, payload: null });
      const held = await addExecution(fx.store, {
        jobId: job.id,
        fireAt: T0 - MIN,
        ...runningBy('a', 3),
      });
      const done = await addExecution(fx.store, {
        jobId: job.id,
        fireAt: T0 - 2 * MIN,
        status: 'succeeded',
        attempt: 1,
        attempts: [makeAttempt()],
        result: { ok: [1, 'two'] },
        finishedAt: T0,
      });
      await fx.store.close();

      const again = await reopen();
      await again.open();
      try {
        expect(await again.jobGet({ id: job.id })).toEqual(job);
        for (const e of [planned, held, done])
          expect(await again.executionGet({ id: e.id })).toEqual(e);
        expect(ids(await again.jobsDue({ before: T0, limit: 10 }))).toEqual([job.id]);
        expect(claimedIds(await claim(again, 'b'))).toEqual([planned.id]);
        expect(await again.executionsStart({ starts: [start(held)] })).toEqual(['started']);
      } finally {
        await again.close();
      }
    });
  });
}

function definitionWith(payload: unknown): JobRecord['definition'] {
  return { ...makeJobRecord().definition, payload };
}

// ------------------------------------------------------------------- jobs

function jobTests(fx: Fixture): void {
  describe('jobs', () => {
    test('jobGet returns null for an unknown id', async () => {
      expect(await fx.store.jobGet({ id: 'nope' })).toBeNull();
    });

    test('jobInsert stores the record as given', async () => {
      const job = makeJobRecord({
        definition: {
          schedule: { kind: 'cron', expr: '0 3 * * *', tz: 'Europe/Berlin' },
          target: { type: 'handler', name: 'send-report' },
          payload: { user: 42, tags: ['a', 'b'], deep: { x: null } },
          metadata: { kind: 'reminder', 'app.kubernetes.io/name': 'web' },
          retry: { maxAttempts: 5 },
          overlap: 'forbid',
          anchorAt: iso(T0 - MIN),
        },
        hash: 'abc123',
        paused: true,
        nextFireAt: null,
        version: 7,
        completedAt: T0 + 5,
        lastOutcome: makeLastOutcome({ status: 'failed', error: 'boom' }),
        staleAfterMs: 2 * HOUR,
        stats: {
          lastFireAt: T0 - MIN,
          lastSuccessAt: T0 - 2 * MIN,
          lastFailureAt: T0 - 30_000,
          succeeded: 12,
          failed: 3,
          missed: 2,
          skipped: 1,
        },
        staleSince: T0 - 7,
        pruneAfter: T0 + 9,
      });
      expect(await fx.store.jobInsert({ job })).toBe(true);
      expect(await fx.store.jobGet({ id: job.id })).toEqual(job);
    });

    test('jobInsert returns false for a taken id and keeps the first record', async () => {
      const job = await addJob(fx.store);
      const other = makeJobRecord({ id: job.id, hash: 'other', version: 9 });
      expect(await fx.store.jobInsert({ job: other })).toBe(false);
      expect(await fx.store.jobGet({ id: job.id })).toEqual(job);
    });

    test('records go in and come out as copies', async () => {
      const job = await addJob(fx.store, { definition: definitionWith({ n: 1 }) });
      job.definition.metadata['late'] = 'write';
      const read = await mustGetJob(fx.store, job.id);
      expect(read.definition.metadata).toEqual({});
      read.definition.payload = 'changed';
      expect((await mustGetJob(fx.store, job.id)).definition.payload).toEqual({ n: 1 });
    });

    test('jobUpdate replaces the job when the version matches', async () => {
      const job = await addJob(fx.store);
      const next = {
        ...job,
        definition: { ...job.definition, metadata: { a: 'b' } },
        hash: 'hash-2',
        paused: true,
        nextFireAt: null,
        version: 2,
        updatedAt: T0,
      };
      expect(await fx.store.jobUpdate({ job: next, expectedVersion: 1, dropPlanned: false })).toBe(
        true,
      );
      expect(await fx.store.jobGet({ id: job.id })).toEqual(next);
    });

    test('jobUpdate with a stale version changes nothing', async () => {
      const job = await addJob(fx.store);
      const first = { ...job, hash: 'first', version: 2 };
      const second = { ...job, hash: 'second', version: 2 };
      expect(await fx.store.jobUpdate({ job: first, expectedVersion: 1, dropPlanned: false })).toBe(
        true,
      );
      expect(
        await fx.store.jobUpdate({ job: second, expectedVersion: 1, dropPlanned: false }),
      ).toBe(false);
      expect(await fx.store.jobGet({ id: job.id })).toEqual(first);
    });

    test('jobUpdate of an unknown job returns false and creates nothing', async () => {
      const job = makeJobRecord();
      expect(await fx.store.jobUpdate({ job, expectedVersion: 1, dropPlanned: true })).toBe(false);
      expect(await fx.store.jobGet({ id: job.id })).toBeNull();
    });

    test('jobUpdate with dropPlanned deletes only planned fires, leased or not', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const other = await addJob(store);
      const planned = await addExecution(store, { jobId: job.id, fireAt: T0 });
      const plannedLeased = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 + MIN,
        ...leased('a', 1),
      });
      const kept = [
        await addExecution(store, { jobId: job.id, fireAt: T0 + 2 * MIN, trigger: 'manual' }),
        await addExecution(store, {
          jobId: job.id,
          fireAt: T0 - MIN,
          attempt: 1,
          runAt: T0 + 5_000,
          attempts: [makeAttempt({ outcome: 'failed' })],
        }),
        await addExecution(store, { jobId: job.id, fireAt: T0 - 2 * MIN, ...runningBy('a', 1) }),
        await addExecution(store, {
          jobId: job.id,
          fireAt: T0 - 3 * MIN,
          status: 'succeeded',
          attempt: 1,
        }),
        await addExecution(store, { jobId: job.id, fireAt: T0 - 4 * MIN, status: 'missed' }),
      ];
      const otherPlanned = await addExecution(store, { jobId: other.id, fireAt: T0 });

      const next = { ...job, version: 2, paused: true };
      expect(await store.jobUpdate({ job: next, expectedVersion: 1, dropPlanned: true })).toBe(
        true,
      );

      const left = await store.executionsList({ jobId: job.id, limit: 100 });
      expect(sorted(ids(left))).toEqual(sorted(ids(kept)));
      expect(await store.executionGet({ id: planned.id })).toBeNull();
      expect(await store.executionGet({ id: otherPlanned.id })).toEqual(otherPlanned);
      expect(await store.executionsStart({ starts: [start(plannedLeased)] })).toEqual(['rejected']);
    });

    test('dropping the planned last fire of a completed job reopens it; dropping nothing does not', async () => {
      const { store } = fx;
      const once = await addJob(store, { nextFireAt: null, completedAt: T0 - 1_000 });
      await addExecution(store, { jobId: once.id, fireAt: T0 });
      const paused = { ...once, version: 2, paused: true };
      expect(await store.jobUpdate({ job: paused, expectedVersion: 1, dropPlanned: true })).toBe(
        true,
      );
      expect(await mustGetJob(store, once.id)).toEqual({ ...paused, completedAt: null });

      const done = await addJob(store, { nextFireAt: null, completedAt: T0 - 1_000 });
      await addExecution(store, { jobId: done.id, fireAt: T0, status: 'succeeded', attempt: 1 });
      const next = { ...done, version: 2, paused: true };
      expect(await store.jobUpdate({ job: next, expectedVersion: 1, dropPlanned: true })).toBe(
        true,
      );
      expect(await mustGetJob(store, done.id)).toEqual(next);
    });

    test('jobUpdate keeps planned fires without dropPlanned, or when its version is stale', async () => {
      const job = await addJob(fx.store);
      const planned = await addExecution(fx.store, { jobId: job.id, fireAt: T0 });
      const stale = { ...job, version: 5 };
      expect(await fx.store.jobUpdate({ job: stale, expectedVersion: 4, dropPlanned: true })).toBe(
        false,
      );
      expect(await fx.store.executionGet({ id: planned.id })).toEqual(planned);
      const next = { ...job, version: 2 };
      expect(await fx.store.jobUpdate({ job: next, expectedVersion: 1, dropPlanned: false })).toBe(
        true,
      );
      expect(await fx.store.executionGet({ id: planned.id })).toEqual(planned);
    });

    test('a dropped fire can be planned again', async () => {
      const job = await addJob(fx.store);
      await addExecution(fx.store, { jobId: job.id, fireAt: T0 });
      await fx.store.jobUpdate({
        job: { ...job, version: 2 },
        expectedVersion: 1,
        dropPlanned: true,
      });
      const again = await addExecution(fx.store, { jobId: job.id, fireAt: T0 });
      expect(await fx.store.executionGet({ id: again.id })).toEqual(again);
    });

    test('jobDelete removes the job and all its executions, and only those', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const other = await addJob(store);
      const mine = [
        await addExecution(store, { jobId: job.id, fireAt: T0 }),
        await addExecution(store, {
          jobId: job.id,
          fireAt: T0 - MIN,
          status: 'succeeded',
          attempt: 1,
        }),
        await addExecution(store, {
          jobId: job.id,
          fireAt: T0,
          trigger: 'manual',
          ...leased('a', 1),
        }),
      ];
      const theirs = await addExecution(store, { jobId: other.id, fireAt: T0 });
      expect(await store.jobDelete({ id: job.id })).toBe(true);
      expect(await store.jobGet({ id: job.id })).toBeNull();
      for (const e of mine) expect(await store.executionGet({ id: e.id })).toBeNull();
      expect(await store.executionsList({ jobId: job.id, limit: 10 })).toEqual([]);
      expect(await store.executionGet({ id: theirs.id })).toEqual(theirs);
      expect(await store.jobGet({ id: other.id })).toEqual(other);

      // The id and its fires are free again.
      await addJob(store, { id: job.id });
      const refire = await addExecution(store, { jobId: job.id, fireAt: T0 });
      expect(await store.executionGet({ id: refire.id })).toEqual(refire);
    });

    test('jobDelete returns false for an unknown job', async () => {
      expect(await fx.store.jobDelete({ id: 'nope' })).toBe(false);
    });
  });
}

// ------------------------------------------------------------ job batches

function insertOf(job: JobRecord): JobWrite {
  return { job, expectedVersion: null, dropPlanned: false };
}

function updateOf(job: JobRecord, expectedVersion: number, dropPlanned = false): JobWrite {
  return { job, expectedVersion, dropPlanned };
}

function byId(jobs: readonly JobRecord[]): JobRecord[] {
  return [...jobs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function jobBatchTests(fx: Fixture): void {
  describe('job batches', () => {
    test('jobsGet returns the jobs that exist, as copies, and leaves out the missing ids', async () => {
      const a = await addJob(fx.store, { definition: definitionWith({ n: 1 }) });
      const b = await addJob(fx.store, { paused: true, nextFireAt: null, version: 4 });
      await addJob(fx.store);
      const found = await fx.store.jobsGet({ ids: [b.id, 'missing', a.id, 'gone'] });
      expect(byId(found)).toEqual(byId([a, b]));
      found.forEach((job) => (job.definition.metadata['late'] = 'write'));
      expect(await mustGetJob(fx.store, a.id)).toEqual(a);
    });

    test('jobsGet of no ids, or of missing ones only, returns nothing', async () => {
      await addJob(fx.store);
      expect(await fx.store.jobsGet({ ids: [] })).toEqual([]);
      expect(await fx.store.jobsGet({ ids: ['nope', 'neither'] })).toEqual([]);
    });

    test('jobsGet of many ids returns all of them', async () => {
      const jobs = Array.from({ length: 1_200 }, (_, i) =>
        makeJobRecord({ id: `many-${String(i).padStart(4, '0')}` }),
      );
      expect(await fx.store.jobsWrite({ writes: jobs.map(insertOf) })).toEqual([]);
      const found = await fx.store.jobsGet({ ids: jobs.map((job) => job.id) });
      expect(byId(found)).toEqual(jobs);
    });

    test('jobsWrite inserts and updates in one call', async () => {
      const { store } = fx;
      const existing = await addJob(store);
      const first = makeJobRecord();
      const second = makeJobRecord({ paused: true, nextFireAt: null });
      const next = { ...existing, hash: 'hash-2', version: 2, updatedAt: T0 };
      const writes = [insertOf(first), updateOf(next, 1), insertOf(second)];
      expect(await store.jobsWrite({ writes })).toEqual([]);
      expect(await store.jobGet({ id: existing.id })).toEqual(next);
      expect(await store.jobGet({ id: first.id })).toEqual(first);
      expect(await store.jobGet({ id: second.id })).toEqual(second);
    });

    test('jobsWrite of nothing writes nothing', async () => {
      expect(await fx.store.jobsWrite({ writes: [] })).toEqual([]);
      expect(await fx.store.jobsList({ limit: 10 })).toEqual([]);
    });

    test('a taken id among several inserts: its index is returned and nothing is written', async () => {
      const { store } = fx;
      const taken = await addJob(store);
      const others = [makeJobRecord(), makeJobRecord(), makeJobRecord()];
      const clash = makeJobRecord({ id: taken.id, hash: 'other', version: 9 });
      const writes = [...others.slice(0, 2), clash, ...others.slice(2)].map(insertOf);
      expect(await store.jobsWrite({ writes })).toEqual([2]);
      for (const job of others) expect(await store.jobGet({ id: job.id })).toBeNull();
      expect(await store.jobGet({ id: taken.id })).toEqual(taken);
      expect(ids(await store.jobsList({ limit: 10 }))).toEqual([taken.id]);
    });

    test('every write that cannot be applied is returned, in order', async () => {
      const { store } = fx;
      const a = await addJob(store);
      const b = await addJob(store);
      const writes = [
        insertOf(makeJobRecord()),
        insertOf(makeJobRecord({ id: b.id })),
        updateOf({ ...a, version: 3 }, 2),
        updateOf(makeJobRecord({ version: 2 }), 1),
        updateOf({ ...b, hash: 'changed', version: 2 }, 1),
      ];
      expect(await store.jobsWrite({ writes })).toEqual([1, 2, 3]);
      expect(await store.jobGet({ id: a.id })).toEqual(a);
      expect(await store.jobGet({ id: b.id })).toEqual(b);
      expect(await store.jobsList({ limit: 10 })).toHaveLength(2);
    });

    test('a stale expectedVersion: its index is returned and nothing is written', async () => {
      const { store } = fx;
      const a = await addJob(store);
      const b = await addJob(store, { version: 5 });
      const planned = await addExecution(store, { jobId: a.id, fireAt: T0 });
      const fresh = makeJobRecord();
      const writes = [
        updateOf({ ...a, hash: 'new', version: 2, paused: true, nextFireAt: null }, 1, true),
        insertOf(fresh),
        updateOf({ ...b, hash: 'new', version: 5 }, 4),
      ];
      expect(await store.jobsWrite({ writes })).toEqual([2]);
      expect(await store.jobGet({ id: a.id })).toEqual(a);
      expect(await store.jobGet({ id: b.id })).toEqual(b);
      expect(await store.jobGet({ id: fresh.id })).toBeNull();
      // The update that failed with the batch dropped no planned fire either.
      expect(await store.executionGet({ id: planned.id })).toEqual(planned);
    });

    test('a write sees the ones before it: an insert then an update of the same job', async () => {
      const { store } = fx;
      const job = makeJobRecord();
      const next = { ...job, hash: 'hash-2', version: 2 };
      expect(await store.jobsWrite({ writes: [insertOf(job), updateOf(next, 1)] })).toEqual([]);
      expect(await store.jobGet({ id: job.id })).toEqual(next);
      const twice = makeJobRecord();
      expect(await store.jobsWrite({ writes: [insertOf(twice), insertOf(twice)] })).toEqual([1]);
      expect(await store.jobGet({ id: twice.id })).toBeNull();
    });

    test('dropPlanned works as in jobUpdate: planned fires go, a completed job reopens', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const other = await addJob(store);
      const done = await addJob(store, { nextFireAt: null, completedAt: T0 - 1_000 });
      const planned = await addExecution(store, { jobId: job.id, fireAt: T0 });
      const manual = await addExecution(store, { jobId: job.id, fireAt: T0, trigger: 'manual' });
      const finished = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 - MIN,
        status: 'succeeded',
        attempt: 1,
      });
      const otherPlanned = await addExecution(store, { jobId: other.id, fireAt: T0 });
      const lastFire = await addExecution(store, { jobId: done.id, fireAt: T0 });
      const kept = await addExecution(store, { jobId: other.id, fireAt: T0 + MIN });
      const paused = { ...job, version: 2, paused: true, nextFireAt: null };
      const reopened = { ...done, version: 2, paused: true };
      const untouched = { ...other, hash: 'hash-2', version: 2 };
      const writes = [
        updateOf(paused, 1, true),
        updateOf(reopened, 1, true),
        updateOf(untouched, 1),
      ];
      expect(await store.jobsWrite({ writes })).toEqual([]);

      expect(await store.executionGet({ id: planned.id })).toBeNull();
      expect(await store.executionGet({ id: manual.id })).toEqual(manual);
      expect(await store.executionGet({ id: finished.id })).toEqual(finished);
      expect(await store.executionGet({ id: lastFire.id })).toBeNull();
      expect(await store.executionGet({ id: otherPlanned.id })).toEqual(otherPlanned);
      expect(await store.executionGet({ id: kept.id })).toEqual(kept);
      expect(await mustGetJob(store, job.id)).toEqual(paused);
      expect(await mustGetJob(store, done.id)).toEqual({ ...reopened, completedAt: null });
      expect(await mustGetJob(store, other.id)).toEqual(untouched);
    });

    test('jobsWrite leaves what the store keeps as it is, like jobUpdate', async () => {
      const { store } = fx;
      const job = await addJob(store, {
        stats: makeStats({ succeeded: 3, lastSuccessAt: T0 - MIN }),
        staleSince: T0 - 5,
        pruneAfter: T0 + 5,
      });
      const next = {
        ...job,
        hash: 'hash-2',
        version: 2,
        stats: makeStats(),
        staleSince: null,
        pruneAfter: null,
      };
      expect(
        await store.jobsWrite({ writes: [updateOf(next, 1), insertOf(makeJobRecord())] }),
      ).toEqual([]);
      expect(await mustGetJob(store, job.id)).toEqual({
        ...next,
        stats: job.stats,
        staleSince: job.staleSince,
        pruneAfter: job.pruneAfter,
      });
    });
  });
}

// --------------------------------------------------------- job listings

function withMetadata(metadata: Record<string, string>): Partial<JobRecord> {
  return { definition: { ...makeJobRecord().definition, metadata } };
}

function jobListingTests(fx: Fixture): void {
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
        await store.jobUpdate({
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

// ------------------------------------------------------------- planning

function advanceTests(fx: Fixture): void {
  describe('jobsAdvance', () => {
    test('moves nextFireAt, inserts the fires and returns the leased ones as claims', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const free = makeExecutionRecord({ jobId: job.id, fireAt: T0 });
      const held = makeExecutionRecord({
        jobId: job.id,
        fireAt: T0 + MIN,
        ...leased('me', 1, T0 + MIN + LEASE),
      });
      const result = await store.jobsAdvance({
        plans: [plan(job, { nextFireAt: T0 + 2 * MIN, executions: [free, held] })],
      });
      const advanced = { ...job, nextFireAt: T0 + 2 * MIN };
      expect(result).toEqual({ claims: [{ execution: held, job: advanced }], applied: [job.id] });
      expect(await store.jobGet({ id: job.id })).toEqual(advanced);
      expect(await store.executionGet({ id: free.id })).toEqual(free);
      expect(await store.executionGet({ id: held.id })).toEqual(held);
    });

    test('a plan whose version is stale inserts nothing and does not move nextFireAt', async () => {
      const job = await addJob(fx.store, { version: 3 });
      const e = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...leased('me', 1) });
      const result = await fx.store.jobsAdvance({
        plans: [plan(job, { expectedVersion: 2, executions: [e] })],
      });
      expect(result).toEqual({ claims: [], applied: [] });
      expect(await fx.store.jobGet({ id: job.id })).toEqual(job);
      expect(await fx.store.executionGet({ id: e.id })).toBeNull();
    });

    test('a plan whose nextFireAt is stale inserts nothing and does not move nextFireAt', async () => {
      const job = await addJob(fx.store, { nextFireAt: T0 + MIN });
      const e = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...leased('me', 1) });
      const stale = plan(job, { expectedNextFireAt: T0, nextFireAt: T0 + MIN, executions: [e] });
      expect(await fx.store.jobsAdvance({ plans: [stale] })).toEqual({ claims: [], applied: [] });
      expect(await fx.store.jobGet({ id: job.id })).toEqual(job);
      expect(await fx.store.executionGet({ id: e.id })).toBeNull();
    });

    test('the same plan applied twice takes effect once', async () => {
      const job = await addJob(fx.store);
      const e = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...leased('me', 1) });
      const once = plan(job, { executions: [e] });
      expect((await fx.store.jobsAdvance({ plans: [once] })).claims).toHaveLength(1);
      expect(await fx.store.jobsAdvance({ plans: [once] })).toEqual({ claims: [], applied: [] });
      expect(await fx.store.executionsList({ jobId: job.id, limit: 10 })).toEqual([e]);
    });

    test('each plan of a batch stands alone; unknown jobs are skipped', async () => {
      const { store } = fx;
      const a = await addJob(store);
      const b = await addJob(store);
      const c = await addJob(store);
      const ea = makeExecutionRecord({ jobId: a.id, ...leased('me', 1) });
      const eb = makeExecutionRecord({ jobId: b.id, ...leased('me', 1) });
      const ec = makeExecutionRecord({ jobId: c.id, ...leased('me', 1) });
      const ghost = makeExecutionRecord({ jobId: 'ghost', ...leased('me', 1) });
      const { claims, applied } = await store.jobsAdvance({
        plans: [
          plan(a, { executions: [ea] }),
          plan(b, { expectedVersion: 0, executions: [eb] }),
          { ...plan(a, { executions: [ghost] }), jobId: 'ghost' },
          plan(c, { executions: [ec] }),
        ],
      });
      expect(sorted(claimedIds(claims))).toEqual(sorted([ea.id, ec.id]));
      expect(applied).toEqual([a.id, c.id]);
      expect((await mustGetJob(store, b.id)).nextFireAt).toBe(T0);
      expect(await store.executionGet({ id: eb.id })).toBeNull();
      expect(await store.executionGet({ id: ghost.id })).toBeNull();
      expect(await store.jobGet({ id: 'ghost' })).toBeNull();
    });

    test('applies completedAt and lastOutcome; null leaves them as they were', async () => {
      const before = makeLastOutcome({ status: 'succeeded' });
      const job = await addJob(fx.store, { lastOutcome: before });
      await fx.store.jobsAdvance({ plans: [plan(job)] });
      expect(await fx.store.jobGet({ id: job.id })).toEqual({ ...job, nextFireAt: T0 + MIN });

      const missed = makeExecutionRecord({
        jobId: job.id,
        fireAt: T0 + MIN,
        status: 'missed',
        finishedAt: T0 + MIN,
      });
      const outcome = makeLastOutcome({ status: 'missed', executionId: missed.id });
      const last = plan(
        { ...job, nextFireAt: T0 + MIN },
        { nextFireAt: null, completedAt: T0 + 2 * MIN, lastOutcome: outcome, executions: [missed] },
      );
      expect(await fx.store.jobsAdvance({ plans: [last] })).toEqual({
        claims: [],
        applied: [job.id],
      });
      expect(await fx.store.jobGet({ id: job.id })).toEqual({
        ...job,
        nextFireAt: null,
        completedAt: T0 + 2 * MIN,
        lastOutcome: outcome,
        stats: makeStats({ missed: 1 }),
        pruneAfter: agedOut(T0 + MIN),
      });
      expect(await fx.store.executionGet({ id: missed.id })).toEqual(missed);
    });

    test('one execution per (jobId, fireAt) of a schedule', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const first = makeExecutionRecord({ jobId: job.id, fireAt: T0 });
      await store.jobsAdvance({ plans: [plan(job, { executions: [first] })] });

      // Another instance re-plans the same fire (the job was moved back in between).
      const moved = { ...job, version: 2 };
      await store.jobUpdate({ job: moved, expectedVersion: 1, dropPlanned: false });
      const dup = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...leased('b', 1) });
      // The plan applies (its compare-and-set holds) but the fire is not inserted again.
      const replanned = await store.jobsAdvance({ plans: [plan(moved, { executions: [dup] })] });
      expect(replanned).toEqual({ claims: [], applied: [job.id] });
      expect((await mustGetJob(store, job.id)).nextFireAt).toBe(T0 + MIN);
      expect(await store.executionGet({ id: dup.id })).toBeNull();

      // A direct insert of the same fire does not add a row either.
      const direct = await addExecution(store, { jobId: job.id, fireAt: T0 });
      expect(await store.executionGet({ id: direct.id })).toBeNull();
      expect(ids(await store.executionsList({ jobId: job.id, limit: 10 }))).toEqual([first.id]);

      // Manual triggers at the same instant are their own executions; so is another job's fire.
      const manual1 = await addExecution(store, { jobId: job.id, fireAt: T0, trigger: 'manual' });
      const manual2 = await addExecution(store, { jobId: job.id, fireAt: T0, trigger: 'manual' });
      const other = await addJob(store);
      const theirs = await addExecution(store, { jobId: other.id, fireAt: T0 });
      const all = await store.executionsList({ limit: 10 });
      expect(sorted(ids(all))).toEqual(sorted([first.id, manual1.id, manual2.id, theirs.id]));
    });

    test('a fire at the instant of a manual trigger is still inserted', async () => {
      const job = await addJob(fx.store);
      const manual = await addExecution(fx.store, { jobId: job.id, fireAt: T0, trigger: 'manual' });
      const fire = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...leased('me', 1) });
      const { claims } = await fx.store.jobsAdvance({ plans: [plan(job, { executions: [fire] })] });
      expect(claimedIds(claims)).toEqual([fire.id]);
      expect(sorted(ids(await fx.store.executionsList({ limit: 10 })))).toEqual(
        sorted([manual.id, fire.id]),
      );
    });

    test('a fire named twice in one plan is inserted once', async () => {
      const job = await addJob(fx.store);
      const a = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...leased('me', 1) });
      const b = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...leased('me', 1) });
      const { claims } = await fx.store.jobsAdvance({ plans: [plan(job, { executions: [a, b] })] });
      expect(claimedIds(claims)).toEqual([a.id]);
      expect(ids(await fx.store.executionsList({ jobId: job.id, limit: 10 }))).toEqual([a.id]);
    });
  });
}

// ------------------------------------------------------------ executions

const JSON_VALUES: Record<string, unknown> = {
  nested: { a: { b: [1, 2, { c: null, d: [] }] }, t: true, f: false, n: -1.5e-7, big: 2 ** 53 - 1 },
  unicode: 'Grüße 你好 😀 e\u0301 "quoted" \\ back\nline\ttab \u2028',
  null: null,
  emptyString: '',
  zero: 0,
  emptyArray: [],
  emptyObject: {},
  array: [{ ключ: 'значение' }, 'x', 3.25],
};

function executionTests(fx: Fixture): void {
  describe('executions', () => {
    test('executionInsert then executionGet returns every field as given', async () => {
      const job = await addJob(fx.store);
      const e = makeExecutionRecord({
        jobId: job.id,
        fireAt: T0,
        runAt: T0 + 250,
        trigger: 'manual',
        status: 'failed',
        attempt: 2,
        payload: { p: 1 },
        leaseOwner: 'instance-a',
        leaseUntil: T0 + LEASE,
        leaseToken: 4,
        attempts: [
          makeAttempt({
            attempt: 1,
            outcome: 'timed_out',
            error: { message: 'late', code: 'CHIME_ERR_ATTEMPT_TIMEOUT' },
          }),
          makeAttempt({
            attempt: 2,
            outcome: 'failed',
            error: { message: 'boom', name: 'TypeError' },
          }),
        ],
        result: { partial: true },
        error: { message: 'boom', name: 'TypeError' },
        onFailure: 'pending',
        createdAt: T0 - 5,
        startedAt: T0 + 300,
        finishedAt: T0 + 900,
      });
      await fx.store.executionInsert({ execution: e });
      expect(await fx.store.executionGet({ id: e.id })).toEqual(e);
    });

    test('executionGet returns null for an unknown id', async () => {
      expect(await fx.store.executionGet({ id: 'nope' })).toBeNull();
    });

    test('executionInsert keeps the first record under a taken id', async () => {
      const job = await addJob(fx.store);
      const e = await addExecution(fx.store, { jobId: job.id, trigger: 'manual' });
      await fx.store.executionInsert({
        execution: { ...e, fireAt: T0 + MIN, status: 'cancelled' },
      });
      expect(await fx.store.executionGet({ id: e.id })).toEqual(e);
    });

    test('executionInsert stores nothing for an unknown job', async () => {
      const e = makeExecutionRecord({ jobId: 'ghost', trigger: 'manual' });
      // Whether it throws is the store's choice; an orphan execution is not.
      await fx.store.executionInsert({ execution: e }).catch(() => undefined);
      expect(await fx.store.executionGet({ id: e.id })).toBeNull();
    });

    test('payloads and results round-trip as JSON; absent stays absent, null stays null', async () => {
      for (const [label, value] of Object.entries(JSON_VALUES)) {
        const job = await addJob(fx.store, { definition: definitionWith(value) });
        const e = await addExecution(fx.store, {
          jobId: job.id,
          trigger: 'manual',
          payload: value,
          result: value,
        });
        expect((await mustGetJob(fx.store, job.id)).definition.payload, label).toEqual(value);
        const read = await mustGet(fx.store, e.id);
        expect(read.payload, label).toEqual(value);
        expect(read.result, label).toEqual(value);
      }
      const job = await addJob(fx.store);
      const bare = await addExecution(fx.store, { jobId: job.id, trigger: 'manual' });
      const withNull = await addExecution(fx.store, {
        jobId: job.id,
        trigger: 'manual',
        payload: null,
      });
      const bareRead = await mustGet(fx.store, bare.id);
      expect(bareRead.payload).toBeUndefined();
      expect(bareRead.result).toBeUndefined();
      expect(bareRead.error).toBeUndefined();
      expect((await mustGet(fx.store, withNull.id)).payload).toBeNull();
      expect((await mustGetJob(fx.store, job.id)).definition.payload).toBeUndefined();
    });

    test('executionsList returns newest first by (fireAt, id), with filters and a limit', async () => {
      const { store } = fx;
      const a = await addJob(store);
      const b = await addJob(store);
      const all = [
        await addExecution(store, { jobId: a.id, fireAt: T0, trigger: 'manual' }),
        await addExecution(store, {
          jobId: a.id,
          fireAt: T0,
          trigger: 'manual',
          status: 'succeeded',
        }),
        await addExecution(store, { jobId: a.id, fireAt: T0, status: 'succeeded' }),
        await addExecution(store, { jobId: a.id, fireAt: T0 + MIN }),
        await addExecution(store, { jobId: a.id, fireAt: T0 - MIN, status: 'failed' }),
        await addExecution(store, { jobId: b.id, fireAt: T0 + 30_000, status: 'succeeded' }),
        await addExecution(store, { jobId: b.id, fireAt: T0 - 2 * MIN }),
      ].sort(newestFirst);

      expect(ids(await store.executionsList({ limit: 100 }))).toEqual(ids(all));
      expect(ids(await store.executionsList({ limit: 3 }))).toEqual(ids(all.slice(0, 3)));
      expect(ids(await store.executionsList({ jobId: a.id, limit: 100 }))).toEqual(
        ids(all.filter((e) => e.jobId === a.id)),
      );
      expect(ids(await store.executionsList({ status: 'succeeded', limit: 100 }))).toEqual(
        ids(all.filter((e) => e.status === 'succeeded')),
      );
      expect(
        ids(await store.executionsList({ jobId: a.id, status: 'succeeded', limit: 1 })),
      ).toEqual(ids(all.filter((e) => e.jobId === a.id && e.status === 'succeeded').slice(0, 1)));
      expect(await store.executionsList({ jobId: 'nope', limit: 10 })).toEqual([]);
    });

    test('executionsList pages with the `before` cursor, also across equal fireAt', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const other = await addJob(store);
      const all: ExecutionRecord[] = [];
      for (const fireAt of [T0, T0, T0, T0 + MIN, T0 - MIN, T0 - MIN]) {
        all.push(await addExecution(store, { jobId: job.id, fireAt, trigger: 'manual' }));
      }
      await addExecution(store, { jobId: other.id, fireAt: T0, trigger: 'manual' });
      all.sort(newestFirst);

      const walked: string[] = [];
      let before: { fireAt: number; id: string } | undefined;
      for (let pages = 0; pages <= all.length; pages++) {
        const page = await store.executionsList({ jobId: job.id, limit: 2, before });
        walked.push(...ids(page));
        const last = page[page.length - 1];
        if (page.length < 2 || !last) break;
        before = { fireAt: last.fireAt, id: last.id };
      }
      expect(walked).toEqual(ids(all));

      const pivot = all[2];
      if (!pivot) throw new Error('unreachable');
      const older = await store.executionsList({ jobId: job.id, limit: 100, before: pivot });
      expect(ids(older)).toEqual(ids(all.slice(3)));
    });
  });
}

// ----------------------------------------------------------------- claims

function claimTests(fx: Fixture): void {
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

// ------------------------------------------------------------- take-overs

function takeOverTests(fx: Fixture): void {
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
      const taken = { ...expired, leaseOwner: 'new', leaseUntil: now + LEASE, leaseToken: 3 };
      expect(claims).toEqual([{ execution: taken, job }]);
      expect(await store.executionGet({ id: expired.id })).toEqual(taken);
      expect(
        await store.executionsTakeOver({ owner: 'other', now, leaseMs: LEASE, limit: 10 }),
      ).toEqual([]);
    });

    test('records the lost attempt of a running execution as abandoned', async () => {
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
      expect(c?.execution).toMatchObject({
        status: 'running',
        attempt: 2,
        leaseOwner: 'new',
        leaseToken: 6,
      });
      const attempts = c?.execution.attempts ?? [];
      expect(attempts).toHaveLength(2);
      expect(attempts[0]).toEqual(earlier);
      expect(attempts[1]).toMatchObject({
        attempt: 2,
        owner: 'old',
        startedAt: iso(T0 + 50),
        outcome: 'abandoned',
      });
      expect(Date.parse(attempts[1]?.finishedAt ?? '')).toBeGreaterThanOrEqual(T0 + 50);
      expect((await mustGet(fx.store, running.id)).attempts).toEqual(attempts);
    });

    test('appends no attempt for an execution that never started', async () => {
      const job = await addJob(fx.store);
      const never = await addExecution(fx.store, { jobId: job.id, ...leased('old', 1, now - 1) });
      const [c] = await fx.store.executionsTakeOver({
        owner: 'new',
        now,
        leaseMs: LEASE,
        limit: 10,
      });
      expect(c?.execution.attempts).toEqual([]);
      expect(c?.execution).toMatchObject({ id: never.id, status: 'scheduled', attempt: 0 });
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
      expect(await store.executionsFinish({ finishes: [finish(stale)] })).toEqual([false]);
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

// ------------------------------------------------------------------ starts

interface OverlapCase {
  name: string;
  earlier: Partial<ExecutionRecord>;
  /** The other execution's fireAt relative to the started one's (T0 + MIN). */
  fireAt?: number;
  otherJob?: boolean;
  forbid?: boolean;
  expected: 'started' | 'skipped';
}

const OVERLAP_CASES: OverlapCase[] = [
  { name: 'an earlier one runs', earlier: runningBy('x', 1), expected: 'skipped' },
  {
    name: 'an earlier one waits for a retry',
    earlier: { status: 'scheduled', attempt: 1, runAt: T0 + 2 * MIN },
    expected: 'skipped',
  },
  {
    name: 'an earlier one runs after its holder released it',
    earlier: { status: 'running', attempt: 1, startedAt: T0 },
    expected: 'skipped',
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
];

function startTests(fx: Fixture): void {
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

    test('records a planned fire older than missBefore as missed, and nothing else', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const late = await addExecution(store, { jobId: job.id, fireAt: T0, ...leased('me', 1) });
      const recent = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 + MIN,
        ...leased('me', 1),
      });
      const retry = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 - MIN,
        attempt: 1,
        ...leased('me', 1),
      });
      const manual = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 - 2 * MIN,
        trigger: 'manual',
        ...leased('me', 1),
      });
      const missBefore = T0 + 30_000;
      const results = await store.executionsStart({
        starts: [late, recent, retry, manual].map((e) =>
          start(e, { missBefore, startedAt: T0 + 2 * MIN }),
        ),
      });
      expect(results).toEqual(['missed', 'started', 'started', 'started']);
      expect(await mustGet(store, late.id)).toMatchObject({
        status: 'missed',
        leaseOwner: null,
        leaseUntil: null,
        finishedAt: T0 + 2 * MIN,
        attempt: 0,
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

    test.each(OVERLAP_CASES)('with forbidOverlap: $expected when $name', async (c) => {
      const { store } = fx;
      const job = await addJob(store);
      const other = c.otherJob ? await addJob(store) : job;
      await addExecution(store, { jobId: other.id, fireAt: c.fireAt ?? T0, ...c.earlier });
      const e = await addExecution(store, { jobId: job.id, fireAt: T0 + MIN, ...leased('me', 1) });
      const request = start(e, { startedAt: T0 + MIN + 5, forbidOverlap: c.forbid ?? true });
      expect(await store.executionsStart({ starts: [request] })).toEqual([c.expected]);
      const after = await mustGet(store, e.id);
      if (c.expected === 'skipped') {
        expect(after).toMatchObject({
          status: 'skipped',
          leaseOwner: null,
          leaseUntil: null,
          finishedAt: T0 + MIN + 5,
        });
        expect(claimedIds(await claim(store, 'you', { now: T0 + 10 * MIN }))).not.toContain(e.id);
      } else {
        expect(after).toMatchObject({
          status: 'running',
          attempt: 1,
          leaseOwner: 'me',
          startedAt: T0 + MIN + 5,
        });
      }
    });

    test('two starts of one job in one batch: the later fire is skipped', async () => {
      const job = await addJob(fx.store);
      const a = await addExecution(fx.store, { jobId: job.id, fireAt: T0, ...leased('me', 1) });
      const b = await addExecution(fx.store, {
        jobId: job.id,
        fireAt: T0 + MIN,
        ...leased('me', 1),
      });
      const results = await fx.store.executionsStart({
        starts: [start(a, { forbidOverlap: true }), start(b, { forbidOverlap: true })],
      });
      expect(results).toEqual(['started', 'skipped']);
    });
  });
}

// ---------------------------------------------------------------- finishes

function finishTests(fx: Fixture): void {
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
      const attempt = makeAttempt({ attempt: 1, owner: 'me' });
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
      const attempt = makeAttempt({ outcome: 'failed', error: { message: 'flaky' } });
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
          finish({ id: e.id, leaseToken: 2 }, { lastOutcome: makeLastOutcome() }),
          finish({ id: e.id, leaseToken: 4 }),
          finish(released),
          finish({ id: 'vanished', leaseToken: 3 }),
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
          finish({ id: b.id, leaseToken: 7 }),
          finish(b, { status: 'cancelled' }),
        ],
      });
      expect(results).toEqual([true, false, true]);
      expect((await mustGet(fx.store, b.id)).status).toBe('cancelled');
    });
  });
}

// ------------------------------------------------------------------ leases

function leaseTests(fx: Fixture): void {
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

// ------------------------------------------------------------- statistics

/** An execution of `job` at `fireAt` that ran and ended with `overrides` (a finish through the contract). */
async function ended(
  store: Store,
  job: Pick<JobRecord, 'id'>,
  fireAt: number,
  overrides: Partial<FinishRequest> = {},
): Promise<ExecutionRecord> {
  const e = await addExecution(store, { jobId: job.id, fireAt, ...runningBy('me', 1) });
  expect(await store.executionsFinish({ finishes: [finish(e, overrides)] })).toEqual([true]);
  return mustGet(store, e.id);
}

function statsTests(fx: Fixture): void {
  describe('job statistics', () => {
    test('a success counts, records its time and fire, and clears staleSince', async () => {
      const job = await addJob(fx.store, { staleAfterMs: HOUR, staleSince: T0 - 5 });
      await ended(fx.store, job, T0, { finishedAt: T0 + 1_000 });
      expect(await mustGetJob(fx.store, job.id)).toMatchObject({
        stats: makeStats({ succeeded: 1, lastSuccessAt: T0 + 1_000, lastFireAt: T0 }),
        staleSince: null,
        staleAfterMs: HOUR,
      });
    });

    test('a failure for good counts and records its time; its onFailure delivery counts nothing more', async () => {
      const { store } = fx;
      const job = await addJob(store, { staleAfterMs: HOUR, staleSince: T0 - 5 });
      const failed = { status: 'failed' as const, error: { message: 'boom' } };
      await ended(store, job, T0, { ...failed, finishedAt: T0 + 1_000 });
      const e = await ended(store, job, T0 + MIN, {
        ...failed,
        onFailure: 'pending',
        keepLeaseUntil: T0 + 2 * MIN,
        finishedAt: T0 + MIN + 500,
      });
      const stats = makeStats({ failed: 2, lastFailureAt: T0 + MIN + 500, lastFireAt: T0 + MIN });
      expect(await mustGetJob(store, job.id)).toMatchObject({ stats, staleSince: T0 - 5 });

      const delivery = finish(e, {
        from: 'pending-delivery',
        status: 'failed',
        attempt: undefined,
        onFailure: 'delivered',
        finishedAt: T0 + 2 * MIN,
      });
      expect(await store.executionsFinish({ finishes: [delivery] })).toEqual([true]);
      expect((await mustGetJob(store, job.id)).stats).toEqual(stats);
    });

    test('retries, hand-backs and refused ends change nothing on the job', async () => {
      const { store } = fx;
      const job = await addJob(store, { staleAfterMs: HOUR, staleSince: T0 - 5 });
      const a = await addExecution(store, { jobId: job.id, fireAt: T0, ...runningBy('me', 1) });
      const b = await addExecution(store, { jobId: job.id, fireAt: T0 + 1, ...runningBy('me', 1) });
      const c = await addExecution(store, { jobId: job.id, fireAt: T0 + 2, ...runningBy('me', 1) });
      const results = await store.executionsFinish({
        finishes: [
          finish(a, {
            status: 'scheduled',
            runAt: T0 + 5_000,
            attempt: makeAttempt({ outcome: 'failed', error: { message: 'flaky' } }),
            finishedAt: null,
          }),
          finish(b, {
            status: 'scheduled',
            runAt: T0 + 1_000,
            attempt: makeAttempt({ outcome: 'shutdown' }),
            finishedAt: null,
          }),
          finish({ id: c.id, leaseToken: 9 }, { lastOutcome: makeLastOutcome() }),
          finish({ id: 'vanished', leaseToken: 1 }),
        ],
      });
      expect(results).toEqual([true, true, false, false]);
      expect(await mustGetJob(store, job.id)).toEqual(job);
    });

    test('lastFireAt is the latest fire that ended, whatever the order of the ends', async () => {
      const job = await addJob(fx.store);
      await ended(fx.store, job, T0 + MIN, { finishedAt: T0 + MIN + 100 });
      await ended(fx.store, job, T0, {
        status: 'failed',
        error: { message: 'late' },
        finishedAt: T0 + MIN + 200,
      });
      expect((await mustGetJob(fx.store, job.id)).stats).toEqual(
        makeStats({
          succeeded: 1,
          failed: 1,
          lastSuccessAt: T0 + MIN + 100,
          lastFailureAt: T0 + MIN + 200,
          lastFireAt: T0 + MIN,
        }),
      );
    });

    test('every accepted end of a batch counts, also several of one job', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const other = await addJob(store);
      const es = [
        await addExecution(store, { jobId: job.id, fireAt: T0, ...runningBy('me', 1) }),
        await addExecution(store, { jobId: job.id, fireAt: T0 + 1, ...runningBy('me', 1) }),
        await addExecution(store, { jobId: other.id, fireAt: T0 + 2, ...runningBy('me', 1) }),
        await addExecution(store, { jobId: job.id, fireAt: T0 + 3, ...runningBy('me', 1) }),
      ];
      const [a, b, c, d] = es;
      if (!a || !b || !c || !d) throw new Error('unreachable');
      const results = await store.executionsFinish({
        finishes: [
          finish(a, { finishedAt: T0 + 100 }),
          finish(b, { status: 'failed', error: { message: 'x' }, finishedAt: T0 + 200 }),
          finish(c, { finishedAt: T0 + 300 }),
          finish({ id: d.id, leaseToken: 9 }),
          finish(d, { finishedAt: T0 + 400 }),
        ],
      });
      expect(results).toEqual([true, true, true, false, true]);
      expect((await mustGetJob(store, job.id)).stats).toEqual(
        makeStats({
          succeeded: 2,
          failed: 1,
          lastSuccessAt: T0 + 400,
          lastFailureAt: T0 + 200,
          lastFireAt: T0 + 3,
        }),
      );
      expect((await mustGetJob(store, other.id)).stats).toEqual(
        makeStats({ succeeded: 1, lastSuccessAt: T0 + 300, lastFireAt: T0 + 2 }),
      );
    });

    test('a start that skips or misses its execution counts it; one that starts does not', async () => {
      const { store } = fx;
      const job = await addJob(store);
      await addExecution(store, { jobId: job.id, fireAt: T0 - 2 * MIN, ...runningBy('x', 1) });
      const late = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 - MIN,
        ...leased('me', 1),
      });
      const overlapping = await addExecution(store, {
        jobId: job.id,
        fireAt: T0,
        ...leased('me', 1),
      });
      const fine = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 + MIN,
        trigger: 'manual',
        ...leased('me', 1),
      });
      const results = await store.executionsStart({
        starts: [
          start(late, { missBefore: T0, startedAt: T0 + 5 }),
          start(overlapping, { forbidOverlap: true, startedAt: T0 + 6 }),
          start(fine, { startedAt: T0 + 7 }),
          start({ id: fine.id, leaseToken: 7 }),
        ],
      });
      expect(results).toEqual(['missed', 'skipped', 'started', 'rejected']);
      expect(await mustGetJob(store, job.id)).toEqual({
        ...job,
        stats: makeStats({ missed: 1, skipped: 1 }),
        pruneAfter: agedOut(T0 + 5),
      });
    });

    test('missed fires a plan inserts count as missed; fires it does not insert do not', async () => {
      const { store } = fx;
      const job = await addJob(store, { nextFireAt: T0 - 3 * MIN });
      const taken = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 - 3 * MIN,
        status: 'missed',
        finishedAt: T0 - MIN,
      });
      const missed = (fireAt: number) =>
        makeExecutionRecord({ jobId: job.id, fireAt, status: 'missed', finishedAt: T0 });
      const executions = [
        { ...missed(T0 - 3 * MIN), id: `${taken.id}-again` },
        missed(T0 - 2 * MIN),
        missed(T0 - MIN),
        makeExecutionRecord({ jobId: job.id, fireAt: T0 }),
      ];
      const stale = plan(job, { expectedVersion: 0, executions: [missed(T0 - 4 * MIN)] });
      await store.jobsAdvance({ plans: [stale] });
      expect((await mustGetJob(store, job.id)).stats).toEqual(makeStats());

      const { applied } = await store.jobsAdvance({
        plans: [plan(job, { nextFireAt: T0 + MIN, executions })],
      });
      expect(applied).toEqual([job.id]);
      expect(await mustGetJob(store, job.id)).toEqual({
        ...job,
        nextFireAt: T0 + MIN,
        stats: makeStats({ missed: 2 }),
        pruneAfter: agedOut(T0),
      });
    });

    test('jobUpdate keeps the statistics, staleSince and pruneAfter the store keeps', async () => {
      const { store } = fx;
      const job = await addJob(store, { staleAfterMs: HOUR, staleSince: T0 - 5 });
      const read = await mustGetJob(store, job.id);
      // A finish lands between the caller's read and its update.
      await ended(store, job, T0, { finishedAt: T0 + 1_000 });
      const kept = await mustGetJob(store, job.id);
      const next: JobRecord = {
        ...read,
        hash: 'hash-2',
        version: 2,
        updatedAt: T0 + 2_000,
        staleAfterMs: 2 * HOUR,
        stats: makeStats({ succeeded: 99, lastSuccessAt: T0 - HOUR }),
        staleSince: T0 + 3,
        pruneAfter: T0 + 4,
      };
      expect(await store.jobUpdate({ job: next, expectedVersion: 1, dropPlanned: true })).toBe(
        true,
      );
      expect(await mustGetJob(store, job.id)).toEqual({
        ...next,
        stats: makeStats({ succeeded: 1, lastSuccessAt: T0 + 1_000, lastFireAt: T0 }),
        staleSince: null,
        pruneAfter: kept.pruneAfter,
      });
    });

    test('jobUpdate keeps the count of kept executions', async () => {
      const { store } = fx;
      const retention = makeRetention({ keepLast: 1, maxAgeMs: HOUR });
      const job = await addJob(store);
      await ended(store, job, T0, { finishedAt: T0 + 1_000, retention });
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(agedOut(T0 + 1_000, retention));
      const next = { ...(await mustGetJob(store, job.id)), version: 2, hash: 'hash-2' };
      expect(await store.jobUpdate({ job: next, expectedVersion: 1, dropPlanned: true })).toBe(
        true,
      );
      // The second kept execution is one more than keepLast: the pruner comes soon.
      await ended(store, job, T0 + MIN, { finishedAt: T0 + 2_000, retention });
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(T0 + 2_000 + PRUNE_DELAY_MS);
    });

    test('claims carry the job with its statistics', async () => {
      const { store } = fx;
      const job = await addJob(store);
      await ended(store, job, T0 - MIN, { finishedAt: T0 - 1_000 });
      await addExecution(store, { jobId: job.id, fireAt: T0 });
      const [c] = await claim(store, 'you');
      expect(c?.job).toEqual(await mustGetJob(store, job.id));
      expect(c?.job.stats.succeeded).toBe(1);
    });
  });
}

// ------------------------------------------------------- pruneAfter, jobsToPrune

function pruneAfterTests(fx: Fixture): void {
  describe('pruneAfter', () => {
    const retention = makeRetention({ keepLast: 2, maxAgeMs: HOUR });

    test('until the job keeps more than keepLast: when its oldest ages out; then soon', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const pruneAfter = async () => (await mustGetJob(store, job.id)).pruneAfter;
      await ended(store, job, T0, { finishedAt: T0 + 2_000, retention });
      expect(await pruneAfter()).toBe(agedOut(T0 + 2_000, retention));
      await ended(store, job, T0 + MIN, { finishedAt: T0 + 1_000, retention });
      expect(await pruneAfter()).toBe(agedOut(T0 + 1_000, retention));
      await ended(store, job, T0 + 2 * MIN, { finishedAt: T0 + 3_000, retention });
      expect(await pruneAfter()).toBe(T0 + 3_000 + PRUNE_DELAY_MS);
      await ended(store, job, T0 + 3 * MIN, { finishedAt: T0 + 4_000, retention });
      expect(await pruneAfter()).toBe(T0 + 3_000 + PRUNE_DELAY_MS);
    });

    test('is never moved later than the look already planned', async () => {
      const job = await addJob(fx.store, { pruneAfter: T0 - 5 });
      await ended(fx.store, job, T0, { retention });
      await ended(fx.store, job, T0 + MIN, { retention });
      await ended(fx.store, job, T0 + 2 * MIN, { retention });
      expect((await mustGetJob(fx.store, job.id)).pruneAfter).toBe(T0 - 5);
    });

    test('a failure waiting for its onFailure delivery is kept until the delivery', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const e = await ended(store, job, T0, {
        status: 'failed',
        error: { message: 'x' },
        onFailure: 'pending',
        keepLeaseUntil: T0 + MIN,
        retention,
      });
      expect((await mustGetJob(store, job.id)).pruneAfter).toBeNull();
      const delivered = finish(e, {
        from: 'pending-delivery',
        status: 'failed',
        attempt: undefined,
        onFailure: 'failed',
        finishedAt: T0 + 5_000,
        retention,
      });
      expect(await store.executionsFinish({ finishes: [delivered] })).toEqual([true]);
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(agedOut(T0 + 5_000, retention));
    });

    test('a cancelled end counts in no statistic, but is kept and pruned like the others', async () => {
      const job = await addJob(fx.store);
      await ended(fx.store, job, T0, { status: 'cancelled', finishedAt: T0 + 7, retention });
      expect(await mustGetJob(fx.store, job.id)).toEqual({
        ...job,
        pruneAfter: agedOut(T0 + 7, retention),
      });
    });

    test('jobsToPrune returns the jobs whose pruneAfter is due, oldest first, up to limit', async () => {
      const { store } = fx;
      const a = await addJob(store, { id: 'a', pruneAfter: T0 + 3 });
      const b = await addJob(store, { id: 'b', pruneAfter: T0 + 1 });
      const c = await addJob(store, { id: 'c', pruneAfter: T0 + 1, paused: true });
      await addJob(store, { id: 'd', pruneAfter: null });
      await addJob(store, { id: 'e', pruneAfter: T0 + 6 });
      const f = await addJob(store, { id: 'f', pruneAfter: T0 - HOUR });
      expect(await store.jobsToPrune({ now: T0 + 5, limit: 100 })).toEqual([f, b, c, a]);
      expect(ids(await store.jobsToPrune({ now: T0 + 5, limit: 2 }))).toEqual([f.id, b.id]);
      expect(ids(await store.jobsToPrune({ now: T0 + 3, limit: 100 }))).toEqual(ids([f, b, c, a]));
      expect(await store.jobsToPrune({ now: T0 - HOUR - 1, limit: 100 })).toEqual([]);
    });
  });
}

// ---------------------------------------------------------------- pruning

function pruneTests(fx: Fixture): void {
  describe('executionsPrune', () => {
    /** Prunes `job` as the pruner does: naming the pruneAfter it read. */
    async function prune(
      store: Store,
      jobId: string,
      params: { retention: Retention; now: number; limit?: number },
    ): Promise<number> {
      const job = await mustGetJob(store, jobId);
      return store.executionsPrune({
        jobId,
        retention: params.retention,
        now: params.now,
        limit: params.limit ?? 100,
        expectedPruneAfter: job.pruneAfter,
      });
    }

    async function left(jobId: string): Promise<string[]> {
      return sorted(ids(await fx.store.executionsList({ jobId, limit: 1_000 })));
    }

    test('deletes the prunable executions beyond the keepLast newest, and only those', async () => {
      const { store } = fx;
      const retention = makeRetention({ keepLast: 3, maxAgeMs: 24 * HOUR });
      const job = await addJob(store);
      const other = await addJob(store);
      const finished: ExecutionRecord[] = [];
      const statuses = ['succeeded', 'failed', 'cancelled', 'succeeded', 'succeeded', 'failed'];
      for (const [i, status] of statuses.entries()) {
        finished.push(
          await ended(store, job, T0 + i * MIN, {
            status: status as FinishRequest['status'],
            finishedAt: T0 + i * MIN + 500,
            retention,
          }),
        );
      }
      // Work that is never pruned, older than everything finished.
      const untouchable = [
        await addExecution(store, { jobId: job.id, fireAt: T0 - 6 * MIN }),
        await addExecution(store, { jobId: job.id, fireAt: T0 - 5 * MIN, ...runningBy('x', 1) }),
        await addExecution(store, {
          jobId: job.id,
          fireAt: T0 - 4 * MIN,
          attempt: 1,
          runAt: T0 + HOUR,
        }),
        await addExecution(store, {
          jobId: job.id,
          fireAt: T0 - 3 * MIN,
          status: 'failed',
          attempt: 1,
          onFailure: 'pending',
          finishedAt: T0 - 3 * MIN,
        }),
        await addExecution(store, {
          jobId: job.id,
          fireAt: T0 - 2 * MIN,
          status: 'running',
          attempt: 1,
          finishedAt: T0 - 2 * MIN,
        }),
      ];
      const theirs = await ended(store, other, T0 - HOUR, { finishedAt: T0 - HOUR, retention });
      const before = await mustGetJob(store, job.id);
      expect(before.pruneAfter).toBe(T0 + 3 * MIN + 500 + PRUNE_DELAY_MS);

      const now = T0 + 10 * MIN;
      expect(await prune(store, job.id, { retention, now })).toBe(3);
      const newest = finished.slice(3);
      expect(await left(job.id)).toEqual(sorted(ids([...newest, ...untouchable])));
      expect(await store.executionGet({ id: theirs.id })).toEqual(theirs);
      const after = await mustGetJob(store, job.id);
      expect(after).toEqual({ ...before, pruneAfter: agedOut(T0 + 3 * MIN + 500, retention) });
      expect(after.stats).toEqual(
        makeStats({
          succeeded: 3,
          failed: 2,
          lastSuccessAt: T0 + 4 * MIN + 500,
          lastFailureAt: T0 + 5 * MIN + 500,
          lastFireAt: T0 + 5 * MIN,
        }),
      );
      // Nothing more to do: a second pass deletes nothing and plans the same look.
      expect(await prune(store, job.id, { retention, now })).toBe(0);
      expect(await mustGetJob(store, job.id)).toEqual(after);
    });

    test('deletes prunable executions finished before now - maxAge, within keepLast too', async () => {
      const { store } = fx;
      const retention = makeRetention({ keepLast: 100, maxAgeMs: HOUR });
      const job = await addJob(store);
      // Finish times out of fire order: age is judged by finishedAt.
      const a = await ended(store, job, T0, { finishedAt: T0 + 5_000, retention });
      const b = await ended(store, job, T0 + MIN, { finishedAt: T0 + 1_000, retention });
      const c = await ended(store, job, T0 + 2 * MIN, { finishedAt: T0 + 2_000, retention });
      const d = await ended(store, job, T0 + 3 * MIN, { finishedAt: T0 + HOUR, retention });
      const skipped = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 + 4 * MIN,
        ...leased('me', 1),
      });
      expect(
        await store.executionsStart({
          starts: [start(skipped, { forbidOverlap: true, startedAt: T0 + 500, retention })],
        }),
      ).toEqual(['started']);

      // now - maxAge = T0 + 2_000: finished strictly before it goes.
      const now = T0 + HOUR + 2_000;
      expect(await prune(store, job.id, { retention, now })).toBe(1);
      expect(await left(job.id)).toEqual(sorted(ids([a, c, d, skipped])));
      expect(await store.executionGet({ id: b.id })).toBeNull();
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(agedOut(T0 + 2_000, retention));

      expect(await prune(store, job.id, { retention, now: now + 3_001 })).toBe(2);
      expect(await left(job.id)).toEqual(sorted(ids([d, skipped])));
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(agedOut(T0 + HOUR, retention));
    });

    test('the kept count follows pruning', async () => {
      const { store } = fx;
      const retention = makeRetention({ keepLast: 2, maxAgeMs: HOUR });
      const job = await addJob(store);
      for (let i = 0; i < 4; i++)
        await ended(store, job, T0 + i * MIN, { finishedAt: T0 + i, retention });
      // All four aged out: none kept.
      expect(await prune(store, job.id, { retention, now: T0 + 2 * HOUR })).toBe(4);
      expect((await mustGetJob(store, job.id)).pruneAfter).toBeNull();
      // So two new ones are within keepLast: looked at when the first ages out.
      await ended(store, job, T0 + 10 * MIN, { finishedAt: T0 + 3 * HOUR, retention });
      await ended(store, job, T0 + 11 * MIN, { finishedAt: T0 + 3 * HOUR + 1, retention });
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(agedOut(T0 + 3 * HOUR, retention));
    });

    test('deletes at most limit, oldest fire first; a full batch asks for another pass at once', async () => {
      const { store } = fx;
      const retention = makeRetention({ keepLast: 0, maxAgeMs: 24 * HOUR });
      const job = await addJob(store);
      const fireAts = [T0 + 3 * MIN, T0, T0 + 4 * MIN, T0 + MIN, T0 + 2 * MIN];
      const byFire = new Map<number, string>();
      for (const fireAt of fireAts)
        byFire.set(fireAt, (await ended(store, job, fireAt, { retention })).id);
      const now = T0 + HOUR;

      expect(await prune(store, job.id, { retention, now, limit: 2 })).toBe(2);
      expect(await store.executionGet({ id: byFire.get(T0) ?? '' })).toBeNull();
      expect(await store.executionGet({ id: byFire.get(T0 + MIN) ?? '' })).toBeNull();
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(now);

      expect(await prune(store, job.id, { retention, now, limit: 2 })).toBe(2);
      expect(await left(job.id)).toEqual([byFire.get(T0 + 4 * MIN)]);
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(now);

      expect(await prune(store, job.id, { retention, now, limit: 2 })).toBe(1);
      expect(await left(job.id)).toEqual([]);
      expect((await mustGetJob(store, job.id)).pruneAfter).toBeNull();
      expect(await prune(store, job.id, { retention, now, limit: 2 })).toBe(0);
    });

    test('leaves pruneAfter alone when it is no longer the one expected, but still deletes', async () => {
      const { store } = fx;
      const retention = makeRetention({ keepLast: 1, maxAgeMs: HOUR });
      const job = await addJob(store);
      const old = await ended(store, job, T0, { retention });
      const recent = await ended(store, job, T0 + MIN, { retention });
      const planned = (await mustGetJob(store, job.id)).pruneAfter;
      expect(planned).toBe(T0 + 1_000 + PRUNE_DELAY_MS);
      const deleted = await store.executionsPrune({
        jobId: job.id,
        retention,
        now: T0 + MIN,
        limit: 100,
        expectedPruneAfter: T0 - 1,
      });
      expect(deleted).toBe(1);
      expect(await store.executionGet({ id: old.id })).toBeNull();
      expect(await left(job.id)).toEqual([recent.id]);
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(planned);
    });

    test('an unknown job prunes nothing', async () => {
      expect(
        await fx.store.executionsPrune({
          jobId: 'nope',
          retention: RETENTION,
          now: T0,
          limit: 10,
          expectedPruneAfter: null,
        }),
      ).toBe(0);
    });

    test('a finished execution inserted as such counts among the kept ones', async () => {
      const { store } = fx;
      const retention = makeRetention({ keepLast: 1, maxAgeMs: HOUR });
      const job = await addJob(store);
      const inserted = await addExecution(store, {
        jobId: job.id,
        fireAt: T0 - MIN,
        status: 'succeeded',
        attempt: 1,
        finishedAt: T0,
      });
      expect((await mustGetJob(store, job.id)).pruneAfter).toBeNull();
      await ended(store, job, T0, { finishedAt: T0 + 1_000, retention });
      expect((await mustGetJob(store, job.id)).pruneAfter).toBe(T0 + 1_000 + PRUNE_DELAY_MS);
      expect(await prune(store, job.id, { retention, now: T0 + MIN })).toBe(1);
      expect(await store.executionGet({ id: inserted.id })).toBeNull();
    });

    test('two instances pruning one job at once delete each execution once', async () => {
      const { store } = fx;
      const { reopen } = fx.harness;
      const second = reopen ? await reopen() : store;
      if (second !== store) await second.open();
      try {
        const retention = makeRetention({ keepLast: 0, maxAgeMs: HOUR });
        const job = await addJob(store);
        const count = 40;
        for (let i = 0; i < count; i++) await ended(store, job, T0 + i, { retention });
        const pruneAll = async (instance: Store) => {
          let total = 0;
          // Bounded: a store that deletes nothing while rows are left must fail, not spin.
          for (let round = 0; round <= count; round++) {
            const n = await prune(instance, job.id, { retention, now: T0 + MIN, limit: 3 });
            if (n === 0) return total;
            total += n;
          }
          throw new Error('pruning never ran dry');
        };
        const totals = await Promise.all([pruneAll(store), pruneAll(second), pruneAll(store)]);
        expect(totals.reduce((a, b) => a + b, 0)).toBe(count);
        expect(await left(job.id)).toEqual([]);
        expect(await prune(store, job.id, { retention, now: T0 + MIN })).toBe(0);
        expect(await mustGetJob(store, job.id)).toMatchObject({
          pruneAfter: null,
          stats: { succeeded: count },
        });
        // Nothing is kept any more: one new execution is one over keepLast 0.
        await ended(store, job, T0 + HOUR, { finishedAt: T0 + HOUR, retention });
        expect((await mustGetJob(store, job.id)).pruneAfter).toBe(T0 + HOUR + PRUNE_DELAY_MS);
      } finally {
        if (second !== store) await second.close();
      }
    });
  });
}

// -------------------------------------------------------------- staleness

function staleTests(fx: Fixture): void {
  describe('jobsStale', () => {
    test('marks and returns, once, the jobs without a success for staleAfterMs', async () => {
      const { store } = fx;
      const never = await addJob(store, { staleAfterMs: HOUR, createdAt: T0 - HOUR });
      const succeeded = await addJob(store, {
        staleAfterMs: HOUR,
        createdAt: T0 - 5 * HOUR,
        stats: makeStats({ succeeded: 1, lastSuccessAt: T0 - HOUR + 1 }),
      });
      await addJob(store, { staleAfterMs: null, createdAt: T0 - 5 * HOUR });
      await addJob(store, { staleAfterMs: HOUR, createdAt: T0 - 5 * HOUR, paused: true });
      await addJob(store, {
        staleAfterMs: HOUR,
        createdAt: T0 - 5 * HOUR,
        nextFireAt: null,
        completedAt: T0 - 4 * HOUR,
      });
      const marked = await addJob(store, {
        staleAfterMs: HOUR,
        createdAt: T0 - 5 * HOUR,
        staleSince: T0 - 4 * HOUR,
      });

      expect(await store.jobsStale({ now: T0, limit: 100 })).toEqual([
        { ...never, staleSince: T0 },
      ]);
      expect(await store.jobsStale({ now: T0, limit: 100 })).toEqual([]);
      expect(await store.jobsStale({ now: T0 + 1, limit: 100 })).toEqual([
        { ...succeeded, staleSince: T0 + 1 },
      ]);
      expect(await mustGetJob(store, never.id)).toEqual({ ...never, staleSince: T0 });
      expect(await mustGetJob(store, marked.id)).toEqual(marked);
      expect(await store.jobsStale({ now: T0 + 100 * HOUR, limit: 100 })).toEqual([]);
    });

    test('reports the longest stale first, up to limit', async () => {
      const { store } = fx;
      const jobs = [];
      for (const age of [3, 1, 2]) {
        jobs.push(
          await addJob(store, {
            id: `stale-${age}`,
            staleAfterMs: HOUR,
            createdAt: T0 - age * HOUR,
          }),
        );
      }
      expect(ids(await store.jobsStale({ now: T0, limit: 2 }))).toEqual(['stale-3', 'stale-2']);
      expect(ids(await store.jobsStale({ now: T0, limit: 2 }))).toEqual(['stale-1']);
    });

    test('a success clears staleSince, and the job goes stale again from that success', async () => {
      const { store } = fx;
      const job = await addJob(store, { staleAfterMs: HOUR, createdAt: T0 - HOUR });
      expect(ids(await store.jobsStale({ now: T0, limit: 10 }))).toEqual([job.id]);
      await ended(store, job, T0, { status: 'failed', error: { message: 'x' } });
      expect((await mustGetJob(store, job.id)).staleSince).toBe(T0);
      await ended(store, job, T0 + MIN, { finishedAt: T0 + 2 * MIN });
      expect((await mustGetJob(store, job.id)).staleSince).toBeNull();
      expect(await store.jobsStale({ now: T0 + 2 * MIN + HOUR - 1, limit: 10 })).toEqual([]);
      const again = await store.jobsStale({ now: T0 + 2 * MIN + HOUR, limit: 10 });
      expect(again).toEqual([
        expect.objectContaining({ id: job.id, staleSince: T0 + 2 * MIN + HOUR }),
      ]);
    });

    test('jobUpdate changes staleAfterMs, which decides from then on', async () => {
      const { store } = fx;
      const job = await addJob(store, { staleAfterMs: 2 * HOUR, createdAt: T0 - HOUR });
      expect(await store.jobsStale({ now: T0, limit: 10 })).toEqual([]);
      const next = { ...job, staleAfterMs: HOUR, version: 2 };
      expect(await store.jobUpdate({ job: next, expectedVersion: 1, dropPlanned: false })).toBe(
        true,
      );
      expect(ids(await store.jobsStale({ now: T0, limit: 10 }))).toEqual([job.id]);
    });

    test('two instances asking at once never both report a job', async () => {
      const { store } = fx;
      const { reopen } = fx.harness;
      const second = reopen ? await reopen() : store;
      if (second !== store) await second.open();
      try {
        const all: string[] = [];
        for (let i = 0; i < 30; i++)
          all.push((await addJob(store, { staleAfterMs: HOUR, createdAt: T0 - HOUR - i })).id);
        const drain = async (instance: Store) => {
          const got: string[] = [];
          for (let round = 0; round <= all.length; round++) {
            const page = await instance.jobsStale({ now: T0, limit: 4 });
            if (page.length === 0) return got;
            got.push(...ids(page));
          }
          throw new Error('jobsStale never ran dry');
        };
        const results = await Promise.all([drain(store), drain(second), drain(store)]);
        const got = results.flat();
        expect(new Set(got).size).toBe(got.length);
        expect(sorted(got)).toEqual(sorted(all));
      } finally {
        if (second !== store) await second.close();
      }
    });
  });
}
