/**
 * The Postgres store's row shapes and their mapping to store records. Rows
 * are read with {@link TYPES}: BIGINT as a JavaScript number (epoch ms and
 * counters stay far below 2^53) and JSON/JSONB as text, parsed by the
 * mappings both SQL stores share (`../sql-rows.ts`) — so a SQL NULL (absent)
 * and a JSON `null` (a value) stay distinct.
 */
import pg from 'pg';
import type { CustomTypesConfig } from 'pg';
import type {
  Claim,
  ExecutionRecord,
  FinishRequest,
  JobPlan,
  JobRecord,
  LeaseRef,
  Retention,
  RunningMark,
  StartRequest,
  StatsDelta,
} from '../store.js';
import {
  executionFromRow,
  jobFromRow as jobFromColumns,
  jobParams as sqlJobParams,
  jsonOrNull,
  type ExecutionRow,
  type JobRow as SqlJobRow,
} from '../sql-rows.js';
import { attemptText, attemptsText } from '../attempt-text.js';
import {
  definitionText,
  lastOutcomeFromStored,
  lastOutcomeText,
  withDefaults,
} from './job-encoding.js';

export { executionFromRow, jsonOrNull, type ExecutionRow } from '../sql-rows.js';

/**
 * Columns of a job record in `jobs`, in the order the statements list them;
 * `kept_count` and the generated `stale_at` are the store's own.
 */
export const JOB_COLUMNS = [
  'id',
  'definition',
  'paused',
  'next_fire_at',
  'version',
  'created_at',
  'updated_at',
  'completed_at',
  'fire_count',
  'last_outcome',
  'stale_after_ms',
  'last_fire_at',
  'last_success_at',
  'last_failure_at',
  'succeeded_count',
  'failed_count',
  'missed_count',
  'skipped_count',
  'stale_since',
  'prune_after',
] as const;

/** Columns of `executions` (without the generated `has_work`), in the order the statements list them. */
export const EXECUTION_COLUMNS = [
  'id',
  'job_id',
  'fire_at',
  'run_at',
  'trigger',
  'status',
  'attempt',
  'payload',
  'lease_owner',
  'lease_until',
  'lease_token',
  'attempts',
  'result',
  'error',
  'on_failure',
  'created_at',
  'started_at',
  'finished_at',
  'backfill',
] as const;

const OID = { int8: 20, json: 114, jsonb: 3802 } as const;
const asText = (value: string) => value;

/** The type parsers of every query: int8 as number, json and jsonb as text. */
export const TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === OID.int8) return Number;
    if (oid === OID.json || oid === OID.jsonb) return asText;
    return pg.types.getTypeParser(oid, format);
  }) as CustomTypesConfig['getTypeParser'],
};

/** Counters of `jobs` stored as NULL while they are 0 (migration 9). */
type Counter = 'fire_count' | 'succeeded_count' | 'failed_count' | 'missed_count' | 'skipped_count';

const COUNTERS: ReadonlySet<string> = new Set<Counter>([
  'fire_count',
  'succeeded_count',
  'failed_count',
  'missed_count',
  'skipped_count',
]);

/**
 * A `jobs` row as Postgres returns it: `paused` a boolean, counters NULL
 * while 0, `version` NULL while 1 and `updated_at` while it equals
 * `created_at`.
 */
export type JobRow = Omit<SqlJobRow<boolean>, 'version' | 'updated_at' | Counter> & {
  version: number | null;
  updated_at: number | null;
} & { [K in Counter]: number | null };

/** A job record read from its row. */
export function jobFromRow(row: JobRow): JobRecord {
  const job = jobFromColumns(row as unknown as SqlJobRow<boolean>, row.paused);
  job.definition = withDefaults(job.definition);
  job.version = row.version ?? 1;
  job.updatedAt = row.updated_at ?? row.created_at;
  if (job.lastOutcome) job.lastOutcome = lastOutcomeFromStored(job.lastOutcome as never);
  job.fireCount = row.fire_count ?? 0;
  job.stats.succeeded = row.succeeded_count ?? 0;
  job.stats.failed = row.failed_count ?? 0;
  job.stats.missed = row.missed_count ?? 0;
  job.stats.skipped = row.skipped_count ?? 0;
  return job;
}

/**
 * A job record as the named parameters of its statements, its definition as
 * stored; `version` NULL while 1 and `updated_at` while it equals
 * `created_at` (migration 14).
 */
export function jobParams(job: JobRecord): Record<(typeof JOB_COLUMNS)[number], Scalar> {
  return {
    ...sqlJobParams(job, definitionText(job.definition)),
    version: job.version === 1 ? null : job.version,
    updated_at: job.updatedAt === job.createdAt ? null : job.updatedAt,
    last_outcome: lastOutcomeText(job.lastOutcome),
  };
}

/** A job's columns in a joined row, prefixed `j_`. */
export type PrefixedJobRow = { [K in keyof JobRow as `j_${K}`]: JobRow[K] };

/** An execution with its job, as the claim and take-over statements return them. */
export type ClaimRow = ExecutionRow & PrefixedJobRow;

/** A row of the planning statement: an applied plan's job, and a leased fire it inserted (or NULLs). */
export type AdvanceRow = PrefixedJobRow & { ord: number } & (
    ExecutionRow | { [K in keyof ExecutionRow]: null }
  );

/** The job of a joined row. */
export function jobFromPrefixed(row: PrefixedJobRow): JobRecord {
  const job: Record<string, unknown> = {};
  for (const column of JOB_COLUMNS) job[column] = row[`j_${column}`];
  return jobFromRow(job as unknown as JobRow);
}

/** Retentions as the parallel arrays `keep_lasts` and `max_ages` of a batch statement. */
function retentionArrays(retentions: readonly Retention[]): Record<string, Column> {
  return {
    keep_lasts: retentions.map((r) => r.keepLast),
    max_ages: retentions.map((r) => r.maxAgeMs),
  };
}

/** A claim read from a joined row. */
export function claimFromRow(row: ClaimRow & { taken_from?: string | null }): Claim {
  const claim: Claim = { execution: executionFromRow(row), job: jobFromPrefixed(row) };
  if (row.taken_from !== undefined && row.taken_from !== null) claim.takenFrom = row.taken_from;
  return claim;
}

/** Executions as the parallel arrays the `fire` step of the statements unnests. */
export function fireArrays(executions: readonly ExecutionRecord[]): Record<string, Column> {
  const column = <T>(pick: (e: ExecutionRecord) => T) => executions.map(pick);
  return {
    ids: column((e) => e.id),
    job_ids: column((e) => e.jobId),
    fire_ats: column((e) => e.fireAt),
    run_ats: column((e) => e.runAt),
    triggers: column((e) => e.trigger),
    statuses: column((e) => e.status),
    attempts: column((e) => e.attempt),
    payloads: column((e) => jsonOrNull(e.payload)),
    lease_owners: column((e) => e.leaseOwner),
    lease_untils: column((e) => e.leaseUntil),
    lease_tokens: column((e) => e.leaseToken),
    attempt_lists: column((e) => attemptsText(e.attempts)),
    results: column((e) => jsonOrNull(e.result)),
    errors: column((e) => jsonOrNull(e.error)),
    on_failures: column((e) => e.onFailure),
    created_ats: column((e) => e.createdAt),
    started_ats: column((e) => e.startedAt),
    finished_ats: column((e) => e.finishedAt),
    backfills: column((e) => e.backfill === true),
  };
}

/** A bound scalar. */
type Scalar = string | number | boolean | Buffer | null;

/** A bound array of scalars. */
type Column = Scalar[];

/** Plans as the parallel arrays of the planning statement, with all their fires. */
export function planArrays(plans: readonly JobPlan[]): Record<string, Column> {
  return {
    plan_job_ids: plans.map((p) => p.jobId),
    expected_versions: plans.map((p) => p.expectedVersion),
    expected_next_fire_ats: plans.map((p) => p.expectedNextFireAt),
    next_fire_ats: plans.map((p) => p.nextFireAt),
    completed_ats: plans.map((p) => p.completedAt),
    fires: plans.map((p) => p.fires ?? 0),
    last_outcomes: plans.map((p) => lastOutcomeText(p.lastOutcome)),
    ...retentionArrays(plans.map((p) => p.retention)),
    ...fireArrays(plans.flatMap((p) => p.executions)),
  };
}

/** Reads the planning statement's rows: applied jobs in plan order, and leased fires as claims. */
export function collectAdvance(
  rows: readonly AdvanceRow[],
  claims: Claim[],
  applied: string[],
): void {
  let last: number | undefined;
  for (const row of rows) {
    if (row.ord !== last) applied.push(row.j_id);
    last = row.ord;
    if (row.id !== null)
      claims.push({ execution: executionFromRow(row), job: jobFromPrefixed(row) });
  }
}

/** Fenced finishes as the parallel arrays of the finish statement. */
export function finishArrays(finishes: readonly FinishRequest[]): Record<string, Column> {
  const column = (pick: (f: FinishRequest) => string | number | null) => finishes.map(pick);
  return {
    ids: column((f) => f.id),
    lease_tokens: column((f) => f.leaseToken),
    statuses: column((f) => f.status),
    run_ats: column((f) => f.runAt ?? null),
    attempts: column((f) => attemptText(f.attempt)),
    abandoneds: column((f) => attemptText(f.abandoned)),
    attempt_nos: column((f) => f.attempt?.attempt ?? null),
    attempt_started_ats: column((f) => (f.attempt ? Date.parse(f.attempt.startedAt) : null)),
    results: column((f) => jsonOrNull(f.result)),
    errors: column((f) => jsonOrNull(f.error)),
    on_failures: column((f) => f.onFailure),
    finished_ats: column((f) => f.finishedAt),
    keep_lease_untils: column((f) => f.keepLeaseUntil ?? null),
    last_outcomes: column((f) => lastOutcomeText(f.lastOutcome)),
    froms: column((f) => f.from),
    ...retentionArrays(finishes.map((f) => f.retention)),
    ...statsArrays(finishes.map((f) => f.stats)),
  };
}

/** The engine's statistics deltas as parallel arrays (a missing delta adds nothing). */
function statsArrays(deltas: readonly (StatsDelta | undefined)[]): Record<string, Column> {
  return {
    succeeded_deltas: deltas.map((d) => d?.succeeded ?? 0),
    failed_deltas: deltas.map((d) => d?.failed ?? 0),
    missed_deltas: deltas.map((d) => d?.missed ?? 0),
    skipped_deltas: deltas.map((d) => d?.skipped ?? 0),
    last_fire_ats: deltas.map((d) => d?.lastFireAt ?? null),
    last_success_ats: deltas.map((d) => d?.lastSuccessAt ?? null),
    last_failure_ats: deltas.map((d) => d?.lastFailureAt ?? null),
    freshes: deltas.map((d) => d?.fresh ?? false),
  };
}

/** Starts as the parallel arrays of the start statement. */
export function startArrays(starts: readonly StartRequest[]): Record<string, Column> {
  return {
    ids: starts.map((s) => s.id),
    lease_tokens: starts.map((s) => s.leaseToken),
    attempts: starts.map((s) => s.attempt),
    started_ats: starts.map((s) => s.startedAt),
    unless_overlappings: starts.map((s) => s.unlessOverlapping),
    abandoned: starts.map((s) => attemptText(s.abandoned)),
  };
}

/** Running marks as the parallel arrays of their statement. */
export function markArrays(marks: readonly RunningMark[]): Record<string, Column> {
  return {
    ids: marks.map((m) => m.id),
    lease_tokens: marks.map((m) => m.leaseToken),
    attempts: marks.map((m) => m.attempt),
    started_ats: marks.map((m) => m.startedAt),
  };
}

/**
 * Job records as the parallel arrays of `jobsInsert`, one per column, named
 * after it. A column that is NULL in every row — or 0, for a counter, which
 * the statement stores as NULL — is bound as an empty array, which `unnest`
 * pads with NULLs: a batch of new jobs sends a dozen such columns.
 */
export function jobArrays(jobs: readonly JobRecord[]): Record<string, Column> {
  const rows = jobs.map((job) => jobParams(job));
  const empty = (column: (typeof JOB_COLUMNS)[number]) =>
    rows.every((row) => row[column] === null || (COUNTERS.has(column) && row[column] === 0));
  return Object.fromEntries(
    JOB_COLUMNS.map((column) => [column, empty(column) ? [] : rows.map((row) => row[column])]),
  );
}

/** Leases as the parallel arrays of the renew and release statements. */
export function leaseArrays(leases: readonly LeaseRef[]): Record<string, Column> {
  return { ids: leases.map((l) => l.id), lease_tokens: leases.map((l) => l.leaseToken) };
}
