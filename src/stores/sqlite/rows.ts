/**
 * The SQLite store's rows: the shapes its statements read and write, and
 * their mapping to and from store records.
 */
import { attemptsText } from '../attempt-text.js';
import type { ExecutionRecord, JobRecord } from '../store.js';
import {
  executionFromRow,
  jobFromRow as jobFromColumns,
  jobParams as jobColumns,
  jsonOrNull,
  type ExecutionRow,
  type JobRow as SqlJobRow,
} from '../sql-rows.js';

export { executionFromRow, jsonOrNull, type ExecutionRow } from '../sql-rows.js';

/** Named parameters, keyed without the `@`. */
export type Params = Record<string, string | number | null>;

/** Values bound by position, in the order of a statement's `?`s. */
export type BindValues = (string | number | null)[];

/**
 * What `finishAttempt` binds, by position: status, attempt (JSON), attempt_no,
 * attempt_started_at, result, error, on_failure, finished_at, id, job_id, lease_token.
 */
export type FinishAttemptValues = [
  string,
  string,
  number,
  number,
  string | null,
  string | null,
  string | null,
  number | null,
  string,
  string,
  number,
];

/** A `jobs` row as SQLite returns it (`paused` 0 or 1). */
export type JobRow = SqlJobRow<number>;

/** A job record as bound parameters (of `jobInsert`; `jobUpdate` binds only what it replaces). */
export function jobParams(job: JobRecord): Params {
  return { ...jobColumns(job), paused: job.paused ? 1 : 0 };
}

/** A job record read from its row. */
export function jobFromRow(row: JobRow): JobRecord {
  return jobFromColumns(row, row.paused === 1);
}

/** An execution record as bound parameters. */
export function executionParams(e: ExecutionRecord): Params {
  return {
    id: e.id,
    job_id: e.jobId,
    fire_at: e.fireAt,
    run_at: e.runAt,
    trigger: e.trigger,
    status: e.status,
    attempt: e.attempt,
    payload: jsonOrNull(e.payload),
    lease_owner: e.leaseOwner,
    lease_until: e.leaseUntil,
    lease_token: e.leaseToken,
    attempts: attemptsText(e.attempts),
    result: jsonOrNull(e.result),
    error: jsonOrNull(e.error),
    on_failure: e.onFailure,
    created_at: e.createdAt,
    started_at: e.startedAt,
    finished_at: e.finishedAt,
    backfill: e.backfill === true ? 1 : 0,
  };
}

/** An `executions` row read raw: its values in the order of `EXECUTION_COLUMNS` (statements.ts). */
export type ExecutionValues = [
  string,
  string,
  number,
  number,
  ExecutionRow['trigger'],
  ExecutionRow['status'],
  number,
  string | null,
  string | null,
  number | null,
  number,
  string,
  string | null,
  string | null,
  ExecutionRow['on_failure'],
  number,
  number | null,
  number | null,
  number,
];

/** An execution record from its raw row ({@link ExecutionValues}). */
export function executionFromValues(v: ExecutionValues): ExecutionRecord {
  return executionFromRow({
    id: v[0],
    job_id: v[1],
    fire_at: v[2],
    run_at: v[3],
    trigger: v[4],
    status: v[5],
    attempt: v[6],
    payload: v[7],
    lease_owner: v[8],
    lease_until: v[9],
    lease_token: v[10],
    attempts: v[11],
    result: v[12],
    error: v[13],
    on_failure: v[14],
    created_at: v[15],
    started_at: v[16],
    finished_at: v[17],
    backfill: v[18],
  });
}
