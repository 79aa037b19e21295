/**
 * What every file of the store conformance suite shares: the fixture that
 * holds the store under test, and helpers that build and read records.
 */
import { expect } from 'vitest';
import { statsOf } from '../../../src/engine/outcome.js';
import { PRUNE_DELAY_MS } from '../../../src/stores/rules.js';
import type {
  Claim,
  ExecutionRecord,
  FinishRequest,
  JobPlan,
  JobRecord,
  Retention,
  StartRequest,
  Store,
} from '../../../src/stores/store.js';
import { T0, makeAttempt, makeExecutionRecord, makeJobRecord, makeRetention } from '../records.js';
import { insertJob } from '../../helpers/jobs.js';

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

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const LEASE = 30_000;
/** The retention of requests that name none: keep the last 100, for 7 days. */
export const RETENTION = makeRetention();

/** Holds the store of the running test. */
export class Fixture {
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

// ---------------------------------------------------------------- helpers

export async function addJob(store: Store, overrides: Partial<JobRecord> = {}): Promise<JobRecord> {
  const job = makeJobRecord(overrides);
  expect(await insertJob(store, job)).toBe(true);
  return job;
}

export async function addExecution(
  store: Store,
  overrides: Partial<ExecutionRecord> & Pick<ExecutionRecord, 'jobId'>,
): Promise<ExecutionRecord> {
  const execution = makeExecutionRecord(overrides);
  await store.executionInsert({ execution });
  return execution;
}

export async function mustGet(store: Store, id: string): Promise<ExecutionRecord> {
  const execution = await store.executionGet({ id });
  if (!execution) throw new Error(`execution ${id} is missing`);
  return execution;
}

export async function mustGetJob(store: Store, id: string): Promise<JobRecord> {
  const job = await store.jobGet({ id });
  if (!job) throw new Error(`job ${id} is missing`);
  return job;
}

/** Lease fields of an execution held by `owner` with `token`. */
export function leased(owner: string, token: number, until = T0 + LEASE): Partial<ExecutionRecord> {
  return { leaseOwner: owner, leaseToken: token, leaseUntil: until };
}

/** An execution whose first attempt runs, held by `owner`. */
export function runningBy(owner: string, token: number): Partial<ExecutionRecord> {
  return { ...leased(owner, token), status: 'running', attempt: 1, startedAt: T0 + 10 };
}

export function plan(job: JobRecord, overrides: Partial<JobPlan> = {}): JobPlan {
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

export function claim(
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

export function start(
  e: Pick<ExecutionRecord, 'id' | 'leaseToken'> & { attempt?: number },
  overrides: Partial<StartRequest> = {},
): StartRequest {
  return {
    id: e.id,
    leaseToken: e.leaseToken,
    attempt: (e.attempt ?? 0) + 1,
    startedAt: T0 + 10,
    unlessOverlapping: false,
    ...overrides,
  };
}

/**
 * A finish of `e`: by default its first attempt's success. Unless `overrides`
 * name `stats`, it carries the delta the engine would (`statsOf`): a final
 * success or failure, or a skipped or missed fire, counts; nothing else does.
 */
export function finish(
  e: Pick<ExecutionRecord, 'id' | 'jobId' | 'leaseToken'> & { fireAt?: number },
  overrides: Partial<FinishRequest> = {},
): FinishRequest {
  const request: FinishRequest = {
    id: e.id,
    jobId: e.jobId,
    leaseToken: e.leaseToken,
    from: 'claimed',
    status: 'succeeded',
    attempt: makeAttempt(),
    onFailure: null,
    finishedAt: T0 + 1_000,
    lastOutcome: null,
    retention: RETENTION,
    ...overrides,
  };
  const { status, from } = request;
  const counted =
    from !== 'pending-delivery' &&
    (status === 'succeeded' || status === 'failed' || status === 'skipped' || status === 'missed');
  if (!('stats' in overrides) && counted)
    request.stats = statsOf(status, e.fireAt ?? T0, request.finishedAt ?? T0);
  return request;
}

/** When the pruner looks at an execution finished at `finishedAt` for its age, under `retention`. */
export function agedOut(finishedAt: number, retention: Retention = RETENTION): number {
  return finishedAt + retention.maxAgeMs + PRUNE_DELAY_MS;
}

export function ids(records: readonly { id: string }[]): string[] {
  return records.map((r) => r.id);
}

export function claimedIds(claims: readonly Claim[]): string[] {
  return claims.map((c) => c.execution.id);
}

export function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}

/** Newest first by `(fireAt, id)`, written here independently of the stores' own rules. */
export function newestFirst(a: ExecutionRecord, b: ExecutionRecord): number {
  if (a.fireAt !== b.fireAt) return b.fireAt - a.fireAt;
  return a.id < b.id ? 1 : -1;
}

export function definitionWith(payload: unknown): JobRecord['definition'] {
  return { ...makeJobRecord().definition, payload };
}

/** An execution of `job` at `fireAt` that ran and ended with `overrides` (a finish through the contract). */
export async function ended(
  store: Store,
  job: Pick<JobRecord, 'id'>,
  fireAt: number,
  overrides: Partial<FinishRequest> = {},
): Promise<ExecutionRecord> {
  const e = await addExecution(store, { jobId: job.id, fireAt, ...runningBy('me', 1) });
  expect(await store.executionsFinish({ finishes: [finish(e, overrides)] })).toEqual([true]);
  return mustGet(store, e.id);
}
