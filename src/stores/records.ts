/**
 * The records of the store contract (`store.ts`): jobs and executions as a
 * store keeps them, in epoch milliseconds and plain JSON, and the claim of
 * an execution with its job.
 */
import { v7 as uuidv7 } from 'uuid';
import type { JobDefinition, LastOutcome } from '../model/job.js';
import type {
  Attempt,
  ErrorInfo,
  ExecutionStatus,
  ExecutionTrigger,
  OnFailureState,
} from '../model/execution.js';
import type { TargetBase } from '../model/target.js';

/** A job as the store keeps it: the definition as JSON plus the scheduler's state. */
export interface JobRecord {
  id: string;
  /** The definition, with `target` defaulted and an interval's anchor resolved; without `id` and `paused`. */
  definition: StoredDefinition;
  paused: boolean;
  /** The next fire not yet planned, or null. Indexed: the planner reads jobs by it. */
  nextFireAt: number | null;
  /** Bumped by every change of the definition or of `paused`. */
  version: number;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
  /**
   * The fires of its schedule planned so far (run or missed): what `maxFires`
   * counts. Advanced only by plans (`JobPlan.fires`), in their compare-and-set;
   * a job write leaves it as the store has it.
   */
  fireCount: number;
  lastOutcome: LastOutcome | null;
  /** `staleAfter` of the definition in ms, or null: the store judges staleness by it. */
  staleAfterMs: number | null;
  /**
   * What survives the pruning of executions. Changed only by the deltas the
   * engine names in its writes (never by a job write, which leaves them as
   * they are).
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
  /** A fire added by a backfill: it runs however late, and a pause or a schedule change leaves it. */
  backfill?: true;
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

/** What a new execution is made of: its job, instants, trigger, and the lease it starts with, if any. */
export interface NewExecution {
  jobId: string;
  fireAt: number;
  runAt: number;
  now: number;
  trigger: ExecutionTrigger;
  /** Held from its creation (a plan's own fires); none leaves it for any claimer. */
  lease?: { owner: string; until: number };
  /** A fixed id (the bench's templates); a new UUIDv7 when absent. */
  id?: string;
}

/** A new scheduled execution with no attempt yet: the one shape every maker of executions uses. */
export function newExecution(made: NewExecution): ExecutionRecord {
  return {
    id: made.id ?? uuidv7(),
    jobId: made.jobId,
    fireAt: made.fireAt,
    runAt: made.runAt,
    trigger: made.trigger,
    status: 'scheduled',
    attempt: 0,
    leaseOwner: made.lease?.owner ?? null,
    leaseUntil: made.lease?.until ?? null,
    leaseToken: made.lease ? 1 : 0,
    attempts: [],
    onFailure: null,
    createdAt: made.now,
    startedAt: null,
    finishedAt: null,
  };
}

/** A claimed execution with the job it belongs to, as the claim saw it. */
export interface Claim {
  execution: ExecutionRecord;
  job: JobRecord;
  /**
   * For a take-over: the instance whose lease expired or was voided. When the
   * execution is `running`, its attempt `execution.attempt` was that
   * instance's and is lost: the engine records it as abandoned.
   */
  takenFrom?: string;
}

/** A lease as its holder names it in fenced writes. */
export interface LeaseRef {
  id: string;
  leaseToken: number;
}
