/**
 * The row shapes and record mappings the two SQL stores share (SQLite,
 * Postgres): the same columns, epoch ms and counters as numbers, JSON as text
 * parsed here — so a SQL NULL (absent) and a JSON `null` (a value) stay
 * distinct. Only `paused` differs: a boolean in Postgres, 0/1 in SQLite.
 */
import type {
  ErrorInfo,
  ExecutionStatus,
  ExecutionTrigger,
  OnFailureState,
} from '../model/execution.js';
import type { LastOutcome } from '../model/job.js';
import { attemptsFromText } from './attempt-text.js';
import type { InstanceRecord, Share } from './instances.js';
import type { ExecutionRecord, JobRecord, StoredDefinition } from './store.js';

/** A `jobs` row, `paused` as the backend stores it. */
export interface JobRow<Paused = boolean> {
  id: string;
  definition: string;
  paused: Paused;
  next_fire_at: number | null;
  version: number;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  fire_count: number;
  last_outcome: string | null;
  stale_after_ms: number | null;
  last_fire_at: number | null;
  last_success_at: number | null;
  last_failure_at: number | null;
  succeeded_count: number;
  failed_count: number;
  missed_count: number;
  skipped_count: number;
  stale_since: number | null;
  prune_after: number | null;
}

/** An `executions` row (without the generated `has_work`). NULL JSON columns are absent values. */
export interface ExecutionRow {
  id: string;
  job_id: string;
  fire_at: number;
  run_at: number;
  trigger: ExecutionTrigger;
  status: ExecutionStatus;
  attempt: number;
  payload: string | null;
  /** A boolean in Postgres, 0/1 in SQLite. */
  backfill: boolean | number;
  lease_owner: string | null;
  lease_until: number | null;
  lease_token: number;
  attempts: string;
  result: string | null;
  error: string | null;
  on_failure: OnFailureState | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

/** Parses JSON text written by the store. */
function parse<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** JSON text of a value, or NULL when it is absent (undefined). */
export function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/**
 * A job record as named parameters of `jobInsert` (`jobUpdate` binds only
 * what it replaces); `definition` is the definition's stored text, its JSON
 * unless the backend stores it otherwise.
 */
export function jobParams(
  job: JobRecord,
  definition = JSON.stringify(job.definition),
): JobRow & Record<string, string | number | boolean | null> {
  return {
    id: job.id,
    definition,
    paused: job.paused,
    next_fire_at: job.nextFireAt,
    version: job.version,
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    completed_at: job.completedAt,
    fire_count: job.fireCount,
    last_outcome: jsonOrNull(job.lastOutcome ?? undefined),
    stale_after_ms: job.staleAfterMs,
    last_fire_at: job.stats.lastFireAt,
    last_success_at: job.stats.lastSuccessAt,
    last_failure_at: job.stats.lastFailureAt,
    succeeded_count: job.stats.succeeded,
    failed_count: job.stats.failed,
    missed_count: job.stats.missed,
    skipped_count: job.stats.skipped,
    stale_since: job.staleSince,
    prune_after: job.pruneAfter,
  };
}

/** A job record read from its row, with `paused` read by the caller from its backend's form. */
export function jobFromRow(row: JobRow<unknown>, paused: boolean): JobRecord {
  return {
    id: row.id,
    definition: parse<StoredDefinition>(row.definition),
    paused,
    nextFireAt: row.next_fire_at,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
    fireCount: row.fire_count,
    lastOutcome: row.last_outcome === null ? null : parse<LastOutcome>(row.last_outcome),
    staleAfterMs: row.stale_after_ms,
    stats: {
      lastFireAt: row.last_fire_at,
      lastSuccessAt: row.last_success_at,
      lastFailureAt: row.last_failure_at,
      succeeded: row.succeeded_count,
      failed: row.failed_count,
      missed: row.missed_count,
      skipped: row.skipped_count,
    },
    staleSince: row.stale_since,
    pruneAfter: row.prune_after,
  };
}

/** An execution record read from its row; NULL JSON columns become absent fields. */
export function executionFromRow(row: ExecutionRow): ExecutionRecord {
  const record: ExecutionRecord = {
    id: row.id,
    jobId: row.job_id,
    fireAt: row.fire_at,
    runAt: row.run_at,
    trigger: row.trigger,
    status: row.status,
    attempt: row.attempt,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until,
    leaseToken: row.lease_token,
    attempts: attemptsFromText(row.attempts),
    onFailure: row.on_failure,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
  if (row.backfill === true || row.backfill === 1) record.backfill = true;
  if (row.payload !== null) record.payload = parse<unknown>(row.payload);
  if (row.result !== null) record.result = parse<unknown>(row.result);
  if (row.error !== null) record.error = parse<ErrorInfo>(row.error);
  return record;
}

/**
 * A share as the bound parameters of the SQL stores' due queries
 * (`@share_from`, `@share_to`, `@others_before`); no share: NULLs, every job.
 */
export function shareParams(share: Share | undefined): {
  share_from: number | null;
  share_to: number | null;
  others_before: number | null;
} {
  return share
    ? { share_from: share.from, share_to: share.to, others_before: share.othersBefore }
    : { share_from: null, share_to: null, others_before: null };
}

/** An `instances` row as both SQL stores read it (times are epoch ms). */
export interface InstanceRow {
  id: string;
  host: string;
  pid: number;
  version: string;
  started_at: number;
  capacity: number;
  last_seen_at: number;
  held: number;
  running: number;
}

/** A registered instance read from its row. */
export function instanceFromRow(row: InstanceRow): InstanceRecord {
  return {
    id: row.id,
    host: row.host,
    pid: row.pid,
    version: row.version,
    startedAt: Number(row.started_at),
    capacity: row.capacity,
    lastSeenAt: Number(row.last_seen_at),
    held: row.held,
    running: row.running,
  };
}
