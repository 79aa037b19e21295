/**
 * The requests of the store contract (`store.ts`): the params of its writes
 * that carry several fields — plans, starts, ends, job writes — and of its
 * listings. Each says what the store must check and what it must not decide:
 * policy is the engine's, named in the request.
 */
import type { LastOutcome } from '../model/job.js';
import type { Attempt, ErrorInfo, ExecutionStatus, OnFailureState } from '../model/execution.js';
import type { Share } from './instances.js';
import type { ExecutionRecord, JobRecord, LeaseRef, Retention } from './records.js';

/**
 * One job's planning step: compare-and-set of the job (its `version` and
 * `nextFireAt` must still be the expected ones), insert of the fires'
 * executions, advance of `nextFireAt`. All or nothing per plan.
 */
export interface JobPlan {
  jobId: string;
  expectedVersion: number;
  expectedNextFireAt: number;
  /** The job's new next fire, or null when its schedule has no more fires. */
  nextFireAt: number | null;
  /** Set when the schedule ran out of fires. */
  completedAt: number | null;
  /** Set when the plan records finished executions (missed fires). */
  lastOutcome: LastOutcome | null;
  /** Fires of the schedule this plan makes (run or missed): added to the job's `fireCount` (absent: 0). */
  fires?: number;
  /**
   * The executions to insert. Those already leased (leaseOwner set) come back
   * as claims. An execution whose `(jobId, fireAt)` exists is not inserted.
   * Missed and skipped ones inserted count in the job's `stats.missed` and
   * `stats.skipped` (skipped: the fires of a pause, recorded at its resume).
   */
  executions: ExecutionRecord[];
  retention: Retention;
}

/**
 * How a claimed execution starts where its start is written first: its start
 * must be checked against the store (`overlap: 'forbid'`), or it takes over
 * an abandoned attempt (recorded now, so a second loss counts too). Other
 * attempts start with no write at all, and are marked running only when they
 * run long ({@link RunningMark}).
 */
export interface StartRequest extends LeaseRef {
  /**
   * The attempt number being started: the execution's recorded attempt count
   * plus one. A start naming any other number is rejected, so one claim can
   * never start twice.
   */
  attempt: number;
  startedAt: number;
  /**
   * Do not start while an earlier execution of the job is unfinished (running,
   * or waiting for a retry): answer `overlapping` and write nothing. The check
   * and the start are one step, so two instances cannot both pass it.
   */
  unlessOverlapping: boolean;
  /** The attempt a previous holder lost (a take-over), appended to the record with the start. */
  abandoned?: Attempt;
}

/** The answer to a {@link StartRequest}. */
export type StartResult =
  | 'started'
  /** An earlier execution of the job is unfinished (`unlessOverlapping`); nothing was written. */
  | 'overlapping'
  /** The lease token or the attempt number is stale, or the execution is gone: do not run. */
  | 'rejected';

/**
 * An attempt that has run for a while, marked `running` so it shows: its
 * number and start are recorded (fenced on the lease; an execution already
 * running or ended is left alone).
 */
export interface RunningMark extends LeaseRef {
  attempt: number;
  startedAt: number;
}

/**
 * What a write adds to its job's statistics, decided by the engine: counts to
 * add, instants the last ones are raised to, and whether a staleness ends.
 */
export interface StatsDelta {
  succeeded: number;
  failed: number;
  missed: number;
  skipped: number;
  /** `lastFireAt` becomes at least this (the fire of an execution that succeeded or failed for good). */
  lastFireAt: number | null;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  /** A success: `staleSince` is cleared. */
  fresh: boolean;
}

/**
 * The fenced write of an attempt's end, of an execution's end without an
 * attempt (skipped, missed, given up), or of an onFailure delivery. It is
 * accepted only while the lease and token hold and the execution is in the
 * state `from` names: `claimed` (held, scheduled or running: an attempt
 * needs no write to start, so one that ran may still be `scheduled`),
 * `pending-delivery` (failed, onFailure pending) for a delivery. The fence is
 * the token and a held lease, not who holds it: under `overlap: 'replace'`
 * an instance ends another's execution `cancelled` under the holder's token,
 * which fences the holder out.
 */
export interface FinishRequest extends LeaseRef {
  /**
   * The execution's job, whose statistics and last outcome the end changes (a
   * store may take it from here instead of reading it back). A store that
   * does refuses an end naming another job, as it refuses a stale token.
   */
  jobId: string;
  from: 'claimed' | 'pending-delivery';
  /** The new status: final, or `scheduled` for a retry or a hand-back. */
  status: ExecutionStatus;
  /** For a retry: when the execution is due again. */
  runAt?: number;
  /**
   * The attempt record to append: the one that ended, or the one a previous
   * holder abandoned when the execution ends without an attempt; absent for
   * an onFailure delivery. Its number becomes the execution's `attempt`, and
   * its start the execution's `startedAt`.
   */
  attempt?: Attempt;
  /** The attempt a previous holder abandoned, appended before `attempt` (a take-over's first end). */
  abandoned?: Attempt;
  result?: unknown;
  error?: ErrorInfo;
  onFailure: OnFailureState | null;
  /** Keep the lease (to deliver onFailure next) instead of releasing it. */
  keepLeaseUntil?: number;
  finishedAt: number | null;
  /** The job's new last outcome, when this write finishes the execution. */
  lastOutcome: LastOutcome | null;
  /** What the write adds to the job's statistics (absent: nothing). */
  stats?: StatsDelta;
  /** The job's retention, for a write that makes the execution prunable. */
  retention: Retention;
}

/**
 * One job write of `Store.jobsWrite`: an insert (`expectedVersion` null: the
 * id must be free), a compare-and-set update (the job must still have
 * `expectedVersion`), which leaves the job's statistics, `fireCount`,
 * `staleSince` and `pruneAfter` as the store has them, or — with `remove` —
 * a compare-and-set delete of the job and all its executions.
 */
export interface JobWrite {
  job: JobRecord;
  /** The version the job must still have; null: insert (the id must be free). */
  expectedVersion: number | null;
  /**
   * For an update: delete the job's planned fires that nobody holds (its
   * schedule changed or it was paused; rules.ts isDroppedByChange — claimed
   * ones run at their instant) and, when any were deleted, clear its
   * `completedAt` (its last fire did not happen after all).
   */
  dropPlanned: boolean;
  /**
   * Deletes the job `job.id` and all its executions instead, if it still has
   * `expectedVersion` (not null); fails like an update when its version moved
   * or it is gone. The rest of `job` is not read.
   */
  remove?: boolean;
}

/** Listing filter of jobs. */
export interface JobsListParams {
  /** Exact matches on metadata keys, all of which must hold. */
  metadata?: Record<string, string>;
  paused?: boolean;
  /** Only jobs whose target has this type. */
  targetType?: string;
  limit: number;
  /** Return jobs whose id sorts after this one. */
  afterId?: string;
}

/** Listing filter of executions, newest first. */
export interface ExecutionsListParams {
  jobId?: string;
  status?: ExecutionStatus;
  limit: number;
  /** Return executions older than this `(fireAt, id)`. */
  before?: { fireAt: number; id: string };
}

/** What `executionsClaim` leases: work due by `until`, at most `limit`, of a share when given. */
export interface ClaimParams {
  owner: string;
  now: number;
  until: number;
  leaseMs: number;
  limit: number;
  share?: Share;
}

/** What `executionsTakeOver` leases: work whose lease expired before `now`, at most `limit`. */
export interface TakeOverParams {
  owner: string;
  now: number;
  leaseMs: number;
  limit: number;
}

/** One pruning pass of a job's executions (`executionsPrune`). */
export interface PruneParams {
  jobId: string;
  retention: Retention;
  now: number;
  limit: number;
  expectedPruneAfter: number | null;
}
