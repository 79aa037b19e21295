/**
 * The store contract: the one narrow interface between the engine and a
 * backend (memory, SQLite, Postgres, NATS). It speaks jobs and executions in
 * plain records; it exposes no connection, no transaction handle, no SQL and no
 * driver type — each backend owns its connections, its migrations and its
 * statements. Every method that changes several rows is atomic: all of it
 * happens or none of it does.
 *
 * Times are epoch milliseconds chosen by the engine's clock and passed in; a
 * store never reads a clock of its own for its decisions (a store whose
 * database has a clock of its own corrects the engine for skew instead).
 *
 * The store deliberately leaves out schedule arithmetic, policies and
 * executors: it keeps state and enforces the invariants that must hold across
 * processes — one execution per `(jobId, fireAt)` of a schedule, one lease
 * holder per execution, and fencing: a write naming a stale lease token
 * changes nothing.
 *
 * Every store passes the conformance suite in `test/stores/conformance.ts`.
 */

import type { JobDefinition, LastOutcome } from '../model/job.js';
import type {
  Attempt,
  ErrorInfo,
  ExecutionStatus,
  ExecutionTrigger,
  OnFailureState,
} from '../model/execution.js';
import type { TargetBase } from '../model/target.js';
import type { Share, StoreRegistry } from './instances.js';

/** A job as the store keeps it: the definition as JSON plus the scheduler's state. */
export interface JobRecord {
  id: string;
  /** The definition, with `target` defaulted and an interval's anchor resolved; without `id` and `paused`. */
  definition: StoredDefinition;
  /** Hash of the canonical definition as the caller gave it: equal hashes make `ensureJob` a no-op. */
  hash: string;
  paused: boolean;
  /** The next fire not yet planned, or null. Indexed: the planner reads jobs by it. */
  nextFireAt: number | null;
  /** Bumped by every change of the definition or of `paused`. */
  version: number;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
  lastOutcome: LastOutcome | null;
  /** `staleAfter` of the definition in ms, or null: the store judges staleness by it. */
  staleAfterMs: number | null;
  /**
   * Kept by the store, never by `jobInsert`/`jobUpdate` (which leave them as
   * they are): what survives the pruning of executions.
   */
  stats: JobStats;
  /** When the job was found stale (no success for `staleAfterMs`); null once it succeeds again. Kept by the store. */
  staleSince: number | null;
  /** When the pruner should next look at this job's finished executions, or null. Kept by the store. */
  pruneAfter: number | null;
}

/** A job's run statistics, kept through the pruning of its executions. */
export interface JobStats {
  /** The latest `fireAt` of an execution that succeeded or failed for good. */
  lastFireAt: number | null;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  /** Executions that succeeded, failed for good, were missed, were skipped. */
  succeeded: number;
  failed: number;
  missed: number;
  skipped: number;
}

/** No statistics yet. */
export const NO_STATS: Readonly<JobStats> = Object.freeze({
  lastFireAt: null,
  lastSuccessAt: null,
  lastFailureAt: null,
  succeeded: 0,
  failed: 0,
  missed: 0,
  skipped: 0,
});

/**
 * A job's retention policy, resolved by the engine and named in every write
 * that makes an execution prunable, so the store can schedule the pruner's
 * next look at the job (`pruneAfter`): soon when more than `keepLast` are
 * kept, else when the oldest kept one outlives `maxAgeMs`.
 */
export interface Retention {
  keepLast: number;
  maxAgeMs: number;
}

/** The stored form of a definition. */
export type StoredDefinition = Omit<JobDefinition, 'id' | 'paused' | 'target' | 'metadata'> & {
  target: TargetBase;
  metadata: Record<string, string>;
  /** An interval schedule's anchor when it names no `startAt`: when the schedule was set (ISO 8601). */
  anchorAt?: string;
};

/** An execution as the store keeps it. */
export interface ExecutionRecord {
  id: string;
  jobId: string;
  fireAt: number;
  /** When it is due: the planner's `fireAt + jitter`, a retry's time, or a trigger's. */
  runAt: number;
  trigger: ExecutionTrigger;
  status: ExecutionStatus;
  /** Attempts started so far. */
  attempt: number;
  /** A manual trigger's payload override (undefined: the job's payload). */
  payload?: unknown;
  leaseOwner: string | null;
  leaseUntil: number | null;
  /** Bumped by every claim; writes naming another token are rejected (fencing). */
  leaseToken: number;
  attempts: Attempt[];
  result?: unknown;
  error?: ErrorInfo;
  onFailure: OnFailureState | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

/** A claimed execution with the job it belongs to, as the claim saw it. */
export interface Claim {
  execution: ExecutionRecord;
  job: JobRecord;
}

/** A lease as its holder names it in fenced writes. */
export interface LeaseRef {
  id: string;
  leaseToken: number;
}

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
  /**
   * The executions to insert. Those already leased (leaseOwner set) come back
   * as claims. An execution whose `(jobId, fireAt)` exists is not inserted.
   * Missed ones count in the job's `stats.missed`.
   */
  executions: ExecutionRecord[];
  retention: Retention;
}

/** How a claimed execution starts. */
export interface StartRequest extends LeaseRef {
  /**
   * The attempt number being started: the execution's recorded attempt count
   * plus one. A start naming any other number is rejected, so one claim can
   * never start twice.
   */
  attempt: number;
  startedAt: number;
  /** For `overlap: 'forbid'`: skip when an earlier execution of the job is unfinished. */
  forbidOverlap: boolean;
  /**
   * For `misfire: 'skip'`: a scheduled fire that never started and whose
   * `fireAt` is before this instant is recorded as `missed` instead (a fire
   * planned before an outage and taken over after it).
   */
  missBefore?: number;
  /** The job's retention, for a start that ends the execution (skipped, missed). */
  retention: Retention;
}

/** The answer to a {@link StartRequest}. */
export type StartResult =
  | 'started'
  /** An earlier execution of the job is unfinished; this one is now `skipped`. */
  | 'skipped'
  /** The fire is older than `missBefore`; it is now `missed`. */
  | 'missed'
  /** The lease token or the attempt number is stale, or the execution is gone: do not run. */
  | 'rejected';

/**
 * The fenced write of an attempt's end (or of an onFailure delivery). It is
 * accepted only while the lease and token hold and the execution is in the
 * state `from` names: `running` for an attempt's end, `pending-delivery` (failed,
 * onFailure pending) for a delivery.
 */
export interface FinishRequest extends LeaseRef {
  from: 'running' | 'pending-delivery';
  /** The new status: final, or `scheduled` for a retry or a hand-back. */
  status: ExecutionStatus;
  /** For a retry: when the execution is due again. */
  runAt?: number;
  /** The attempt record to append (absent for an onFailure delivery). */
  attempt?: Attempt;
  result?: unknown;
  error?: ErrorInfo;
  onFailure: OnFailureState | null;
  /** Keep the lease (to deliver onFailure next) instead of releasing it. */
  keepLeaseUntil?: number;
  finishedAt: number | null;
  /** The job's new last outcome, when this write finishes the execution. */
  lastOutcome: LastOutcome | null;
  /** The job's retention, for a write that makes the execution prunable. */
  retention: Retention;
}

/** What a store can do beyond the contract. */
export interface StoreCapabilities {
  /** The store tells every instance about changes (Postgres LISTEN/NOTIFY, NATS watch). */
  readonly notify: boolean;
}

/** A change announced to every instance by a store with `capabilities.notify`. */
export interface StoreChange {
  /** Earliest instant at which the change makes work due. */
  dueAt: number;
}

/**
 * One job write of {@link Store.jobsWrite}: an insert (`expectedVersion` null),
 * with the semantics of {@link Store.jobInsert}, or a compare-and-set update
 * with those of {@link Store.jobUpdate} (`dropPlanned` included).
 */
export interface JobWrite {
  job: JobRecord;
  /** The version the job must still have; null: insert (the id must be free). */
  expectedVersion: number | null;
  /** For an update: delete the job's planned fires, as {@link Store.jobUpdate} does. */
  dropPlanned: boolean;
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

/** The store contract. See the module comment; the registry part: `instances.ts`. */
export interface Store extends StoreRegistry {
  /** The backend's name, for logs and metrics (`memory`, `sqlite`, …). */
  readonly name: string;
  readonly capabilities: StoreCapabilities;

  /** Connects and runs pending migrations. Idempotent. */
  open(): Promise<void>;
  /** Releases connections. Idempotent. */
  close(): Promise<void>;
  /** Subscribes to changes made by any instance (only with `capabilities.notify`). */
  onChange?(listener: (change: StoreChange) => void): () => void;
  /**
   * For a store whose database has a clock of its own (Postgres): the
   * database's now minus the local now, in ms, compensated for the round
   * trip (the database's reading is compared with the middle of the fastest
   * of a few round trips). The scheduler measures it at start and every
   * minute and runs its engine on the local clock plus this skew, so every
   * host judges lease expiry by the one database clock. Absent: the local
   * clock is the reference.
   */
  clockSkewMs?(): Promise<number>;

  /** One job, or null. */
  jobGet(params: { id: string }): Promise<JobRecord | null>;
  /** Inserts a job; false when the id exists. */
  jobInsert(params: { job: JobRecord }): Promise<boolean>;
  /**
   * Replaces a job if its version is still `expectedVersion`; false otherwise.
   * With `dropPlanned`, deletes the job's planned, never-started scheduled fires
   * (its schedule changed or it was paused) — a holder's start is then rejected —
   * and, when it deleted any, clears the job's `completedAt`: its last fire did
   * not happen after all.
   */
  jobUpdate(params: {
    job: JobRecord;
    expectedVersion: number;
    dropPlanned: boolean;
  }): Promise<boolean>;
  /** The jobs with these ids that exist, in any order (absent ids are left out). */
  jobsGet(params: { ids: string[] }): Promise<JobRecord[]>;
  /**
   * Applies job writes, in order, in one transaction: all of them or none.
   * Returns, in ascending order, the indexes of the writes that could not be
   * applied — an insert whose id is taken, an update whose version moved or
   * whose job is gone — and when that list is not empty, nothing was written.
   * Each write does exactly what {@link jobInsert} or {@link jobUpdate} does
   * (its store's wake-ups included) and sees the writes before it.
   */
  jobsWrite(params: { writes: JobWrite[] }): Promise<number[]>;
  /** Deletes a job and all its executions; false when absent. */
  jobDelete(params: { id: string }): Promise<boolean>;
  /** Jobs ordered by id. */
  jobsList(params: JobsListParams): Promise<JobRecord[]>;
  /**
   * The earliest instant at which work becomes due: the smallest `nextFireAt`
   * of unpaused jobs and `runAt` of unleased work, or null when nothing waits.
   * The engine sleeps until then (less its horizon), so an idle instance makes
   * few queries. Served by the same indexes as {@link jobsDue} and {@link executionsClaim}.
   */
  nextDueAt(): Promise<number | null>;
  /**
   * Unpaused jobs with `nextFireAt <= before`, by `nextFireAt`; with a
   * `share`, only those of its shards, and any due by `share.othersBefore`.
   * Served by an index.
   */
  jobsDue(params: { before: number; limit: number; share?: Share }): Promise<JobRecord[]>;
  /**
   * Applies planning steps; a plan whose compare-and-set fails changes nothing.
   * Returns the leased executions it inserted and the ids of the jobs whose plan applied.
   */
  jobsAdvance(params: { plans: JobPlan[] }): Promise<{ claims: Claim[]; applied: string[] }>;

  /** Inserts an execution (a manual trigger). */
  executionInsert(params: { execution: ExecutionRecord }): Promise<void>;
  /** One execution, or null. */
  executionGet(params: { id: string }): Promise<ExecutionRecord | null>;
  /** Executions newest first by `(fireAt, id)`. */
  executionsList(params: ExecutionsListParams): Promise<ExecutionRecord[]>;
  /** Jobs whose `pruneAfter` is due, oldest first. Served by an index. */
  jobsToPrune(params: { now: number; limit: number }): Promise<JobRecord[]>;
  /**
   * Deletes, oldest `fireAt` first and at most `limit`, the job's prunable
   * executions (final, and not waiting for an onFailure delivery) beyond its
   * `keepLast` newest by `fireAt` or finished before `now - maxAgeMs`, then —
   * if `pruneAfter` is still `expectedPruneAfter` — schedules the next look:
   * `now` when `limit` was reached, else as {@link Retention} says, or null
   * when nothing is kept. Returns how many it deleted. Served by indexes; never
   * touches running or scheduled executions.
   */
  executionsPrune(params: {
    jobId: string;
    retention: Retention;
    now: number;
    limit: number;
    expectedPruneAfter: number | null;
  }): Promise<number>;
  /**
   * Jobs with a `staleAfterMs` whose last success (or creation) is older than
   * that, not yet marked stale: marks them (`staleSince = now`) and returns
   * them, so one instance reports each staleness once. Served by an index.
   */
  jobsStale(params: { now: number; limit: number }): Promise<JobRecord[]>;
  /**
   * Leases unleased work due by `until` (scheduled or released executions, and
   * failed ones whose onFailure is pending), oldest `runAt` first: owner set,
   * `leaseUntil = max(runAt, now) + leaseMs`, token bumped; with a `share`,
   * only work of its shards' jobs, and any due by `share.othersBefore`.
   * Served by an index.
   */
  executionsClaim(params: {
    owner: string;
    now: number;
    until: number;
    leaseMs: number;
    limit: number;
    share?: Share;
  }): Promise<Claim[]>;
  /**
   * Leases work whose lease expired before `now` (its holder vanished, or was
   * declared dead). A running execution's lost attempt is recorded as `abandoned`.
   */
  executionsTakeOver(params: {
    owner: string;
    now: number;
    leaseMs: number;
    limit: number;
  }): Promise<Claim[]>;
  /** Marks claimed executions running (fenced); answers per request, in order. */
  executionsStart(params: { starts: StartRequest[] }): Promise<StartResult[]>;
  /**
   * Records attempts' ends (fenced); answers per request whether it was
   * accepted. An accepted end that makes the execution final updates the
   * job's `stats` (and clears `staleSince` on success) and, when the execution
   * becomes prunable, its `pruneAfter` per the request's retention.
   */
  executionsFinish(params: { finishes: FinishRequest[] }): Promise<boolean[]>;
  /** Extends the leases still held with these tokens; returns the ids renewed. */
  leasesRenew(params: { owner: string; leases: LeaseRef[]; until: number }): Promise<string[]>;
  /** Gives leases back so another instance may claim the work at once. */
  leasesRelease(params: { leases: LeaseRef[] }): Promise<void>;
}
