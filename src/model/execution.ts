import type { Reason } from './reason.js';

/**
 * Executions: the durable record of one fire (or one manual trigger). Exactly
 * one execution exists per `(jobId, fireAt)` of a schedule; it is claimed, run,
 * retried and finished, and keeps every attempt's outcome.
 */

/** The statuses of an execution. */
export const EXECUTION_STATUSES = [
  'scheduled',
  'running',
  'succeeded',
  'failed',
  'missed',
  'skipped',
  'cancelled',
] as const;

/**
 * - `scheduled`: due later, or waiting for a retry;
 * - `running`: an attempt has started;
 * - `succeeded`, `failed` (for good): finished;
 * - `missed`: a fire the misfire policy did not run;
 * - `skipped`: a fire the overlap policy (or its job's pause) did not run;
 * - `cancelled`: replaced by a newer fire of its job (`overlap: 'replace'`).
 * Each of the last three carries its `reason`.
 */
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** Statuses after which nothing more happens. */
export const FINAL_STATUSES: ReadonlySet<ExecutionStatus> = new Set([
  'succeeded',
  'failed',
  'missed',
  'skipped',
  'cancelled',
]);

/** Why an execution exists: a scheduled fire, or a manual trigger. */
export type ExecutionTrigger = 'schedule' | 'manual';

/** An error as recorded: what a user needs to see, never a stack of secrets. */
export interface ErrorInfo {
  /** The error's message. */
  message: string;
  /** The error's name (`Error`, `TypeError`, `PermanentError`, …). */
  name?: string;
  /** A chime error code, when it is one. */
  code?: string;
}

/** How one attempt ended. */
export type AttemptOutcome =
  'succeeded' | 'failed' | 'timed_out' | 'lease_lost' | 'abandoned' | 'shutdown' | 'cancelled';

/** One attempt of an execution. */
export interface Attempt {
  /** 1-based attempt number. */
  attempt: number;
  /** The instance that ran it. */
  owner: string;
  /** When it started (ISO 8601). */
  startedAt: string;
  /** When it ended (ISO 8601). */
  finishedAt: string;
  /** How it ended; `abandoned` means its instance vanished and the lease expired. */
  outcome: AttemptOutcome;
  /** The error, unless it succeeded. */
  error?: ErrorInfo;
}

/** Delivery state of a job's `onFailure` target for a failed execution. */
export type OnFailureState = 'pending' | 'delivered' | 'failed';

/** An execution as the library and the API return it. */
export interface Execution {
  /** Unique id (UUID v7); the idempotency key handed to targets. */
  id: string;
  /** The job it belongs to. */
  jobId: string;
  /** The fire instant (ISO 8601); for a manual trigger, when it was triggered. */
  fireAt: string;
  /** When it is (or was last) due to run: fireAt plus jitter, or a retry's time (ISO 8601). */
  runAt: string;
  /** A scheduled fire or a manual trigger. */
  trigger: ExecutionTrigger;
  /** True for a fire of the schedule added by a backfill (`backfillJob`); absent otherwise. */
  backfill?: true;
  /** Where it stands. */
  status: ExecutionStatus;
  /** Attempts started so far. */
  attempt: number;
  /** The payload override of a manual trigger, if any. */
  payload?: unknown;
  /** Finished attempts, oldest first. */
  attempts: Attempt[];
  /** The handler's return value when it succeeded (JSON, size-capped). */
  result?: unknown;
  /** The last error, when it failed. */
  error?: ErrorInfo;
  /** Why it did not run (missed, skipped, cancelled), or why it waits or waited (`buffered`). */
  reason?: Reason;
  /** The instance holding its lease, if any. */
  leaseOwner: string | null;
  /** Delivery of the job's `onFailure` target, when it failed for good and one is set. */
  onFailure: OnFailureState | null;
  /** When it was created (ISO 8601). */
  createdAt: string;
  /** When its latest attempt started (ISO 8601). */
  startedAt: string | null;
  /** When it reached a final status (ISO 8601). */
  finishedAt: string | null;
}
