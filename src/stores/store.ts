/**
 * The store contract: the one narrow interface between the engine and a
 * backend (memory, SQLite, Postgres, NATS). It speaks jobs and executions in
 * plain records (`records.ts`, `requests.ts`); it exposes no connection, no
 * transaction handle, no SQL and no driver type — each backend owns its
 * connections, its migrations and its statements. Every method that changes
 * several rows is atomic: all of it happens or none of it does.
 *
 * Times are epoch milliseconds chosen by the engine's clock and passed in; a
 * store never reads a clock of its own for its decisions (a store whose
 * database has a clock of its own corrects the engine for skew instead).
 *
 * The store keeps state and enforces the invariants that must hold across
 * processes — one execution per `(jobId, fireAt)` of a schedule, one lease
 * holder per execution, fencing (a write naming a stale lease token changes
 * nothing), the registry of live instances (`instances.ts`). It deliberately
 * leaves out schedule arithmetic, executors and policy: what a misfire, an
 * overlap or a retry means, what an abandoned attempt records and what an
 * end adds to a job's statistics are the engine's decisions, named in its
 * requests. Pruning history and noticing stale jobs are an optional part,
 * {@link StoreMaintenance}.
 *
 * Every store passes the conformance suite in `test/stores/conformance.ts`.
 */
import type { Share, StoreRegistry } from './instances.js';
import type { Claim, ExecutionRecord, JobRecord, LeaseRef } from './records.js';
import type {
  ClaimParams,
  ExecutionsListParams,
  FinishRequest,
  JobPlan,
  JobsListParams,
  JobWrite,
  PruneParams,
  RunningMark,
  StartRequest,
  StartResult,
  TakeOverParams,
} from './requests.js';

export * from './records.js';
export * from './requests.js';

/** What a store can do beyond the contract. */
export interface StoreCapabilities {
  /** The store tells every instance about changes (Postgres LISTEN/NOTIFY, NATS watch). */
  readonly notify: boolean;
  /**
   * Finish batches the engine may have in flight at once (default 1): more
   * where a second batch is served beside the first (Postgres, on its own
   * connection), one where batches would only compete for one thread.
   */
  readonly finishLanes?: number;
}

/** What a store has done since it was made, by its own counters (for benchmarks and metrics). */
export interface StoreUsage {
  /** Statements sent to the database (Postgres: queries, BEGIN and COMMIT included; SQLite: statement runs). */
  statements: number;
  /** Rows inserted, updated or deleted by the store's own connection, when the database counts them there (SQLite). */
  rowsWritten?: number;
}

/** A change announced to every instance by a store with `capabilities.notify`. */
export interface StoreChange {
  /** Earliest instant at which the change makes work due. */
  dueAt: number;
}

/** The store contract. See the module comment; the registry part: `instances.ts`. */
export interface Store extends StoreRegistry {
  /** The backend's name, for logs and metrics (`memory`, `sqlite`, …). */
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  /** Pruning of history and staleness of jobs; absent: every execution is kept, no job goes stale. */
  readonly maintenance?: StoreMaintenance;

  /** Connects and runs pending migrations (unless the store was told only to check them). Idempotent. */
  open(): Promise<void>;
  /** Releases connections. Idempotent. */
  close(): Promise<void>;
  /**
   * Applies pending migrations, whether the store is open or not (what
   * `chime migrate` runs); returns the versions applied, empty when up to date.
   * @throws ChimeError `CHIME_ERR_STORE_SCHEMA_TOO_NEW` when the store holds a newer schema.
   */
  migrate(): Promise<number[]>;
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
  /** The store's counters of its own work; absent for a store that keeps none (memory). */
  usage?(): StoreUsage;

  /** One job, or null. */
  jobGet(params: { id: string }): Promise<JobRecord | null>;
  /** The jobs with these ids that exist, in any order (absent ids are left out). */
  jobsGet(params: { ids: string[] }): Promise<JobRecord[]>;
  /**
   * Applies job writes ({@link JobWrite}), in order, in one transaction: all
   * of them or none. Returns, in ascending order, the indexes of the writes
   * that could not be applied — an insert whose id is taken, an update whose
   * version moved or whose job is gone — and when that list is not empty,
   * nothing was written. Each write sees the writes before it; a store with
   * `capabilities.notify` announces work the writes make due soon.
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
  /**
   * Inserts executions in one transaction (a backfill's fires), skipping each
   * whose `(jobId, fireAt)` of a schedule exists or whose job is gone; returns
   * the ids inserted, in input order. A store with `capabilities.notify`
   * announces the work they make due.
   */
  executionsInsert(params: { executions: ExecutionRecord[] }): Promise<string[]>;
  /** One execution, or null. */
  executionGet(params: { id: string }): Promise<ExecutionRecord | null>;
  /** Executions newest first by `(fireAt, id)`. */
  executionsList(params: ExecutionsListParams): Promise<ExecutionRecord[]>;
  /**
   * Leases unleased work due by `until` (scheduled or released executions, and
   * failed ones whose onFailure is pending), oldest `runAt` first: owner set,
   * `leaseUntil = max(runAt, now) + leaseMs`, token bumped; with a `share`,
   * only work of its shards' jobs, and any due by `share.othersBefore`.
   * Served by an index.
   */
  executionsClaim(params: ClaimParams): Promise<Claim[]>;
  /**
   * Leases work whose lease expired before `now` (its holder vanished, or was
   * declared dead), oldest expiry first; each claim names the previous holder
   * (`takenFrom`). The execution is left as it was otherwise: a running one's
   * lost attempt is the engine's to record.
   */
  executionsTakeOver(params: TakeOverParams): Promise<Claim[]>;
  /**
   * Marks claimed executions running where their start is written first
   * (fenced; see {@link StartRequest}); answers per request, in order.
   */
  executionsStart(params: { starts: StartRequest[] }): Promise<StartResult[]>;
  /** Marks long-running attempts `running` (fenced, see {@link RunningMark}); returns the ids marked. */
  executionsMarkRunning(params: { marks: RunningMark[] }): Promise<string[]>;
  /**
   * Records ends (fenced, see {@link FinishRequest}); answers per request
   * whether it was accepted. An accepted end adds its `stats` delta to the
   * job and sets its `lastOutcome`; with {@link maintenance}, an end that
   * makes the execution prunable plans the pruner's look per its retention.
   */
  executionsFinish(params: { finishes: FinishRequest[] }): Promise<boolean[]>;
  /** Extends the leases still held with these tokens; returns the ids renewed. */
  leasesRenew(params: { owner: string; leases: LeaseRef[]; until: number }): Promise<string[]>;
  /** Gives leases back so another instance may claim the work at once. */
  leasesRelease(params: { leases: LeaseRef[] }): Promise<void>;
}

/**
 * The optional maintenance part of a store: bounded history and stale jobs.
 * A store that has it keeps, for each job, `pruneAfter` — when the pruner
 * should look at its finished executions next — as its writes make executions
 * prunable (the requests name the job's {@link Retention} for that), and
 * judges staleness by `staleAfterMs` and `stats.lastSuccessAt`.
 */
export interface StoreMaintenance {
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
  executionsPrune(params: PruneParams): Promise<number>;
  /**
   * Jobs with a `staleAfterMs` whose last success (or creation) is older than
   * that, not yet marked stale: marks them (`staleSince = now`) and returns
   * them, so one instance reports each staleness once. Served by an index.
   */
  jobsStale(params: { now: number; limit: number }): Promise<JobRecord[]>;
}

/**
 * Every method of {@link Store}, for the check of a store given as an option
 * (a method added to the contract must be added here, or this fails to compile).
 */
export const STORE_METHODS = [
  'open',
  'close',
  'migrate',
  'jobGet',
  'jobsGet',
  'jobsWrite',
  'jobDelete',
  'jobsList',
  'nextDueAt',
  'jobsDue',
  'jobsAdvance',
  'executionInsert',
  'executionsInsert',
  'executionGet',
  'executionsList',
  'executionsClaim',
  'executionsTakeOver',
  'executionsStart',
  'executionsMarkRunning',
  'executionsFinish',
  'leasesRenew',
  'leasesRelease',
  'instanceRegister',
  'instanceBeat',
  'instanceDeregister',
  'instancesList',
] as const satisfies readonly RequiredMethod<Store>[];

/** The required methods of `T`. */
type RequiredMethod<T> = {
  [K in keyof T]-?: undefined extends T[K]
    ? never
    : T[K] extends (...args: never[]) => unknown
      ? K
      : never;
}[keyof T];

/** Fails to compile when {@link STORE_METHODS} misses a required method of the contract. */
export type _StoreMethodsComplete = NoneMissing<
  Exclude<RequiredMethod<Store>, (typeof STORE_METHODS)[number]>
>;
type NoneMissing<Missing extends never> = Missing;
