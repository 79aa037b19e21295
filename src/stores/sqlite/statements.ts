/**
 * The SQLite store's statements. Every value is bound as a named parameter
 * (`@name`), never spliced into the text; the statements are prepared once
 * per connection by {@link prepareStatements}. The rows they read and write
 * are mapped in `rows.ts`.
 */
import type Database from 'better-sqlite3';
import { shardOf } from '../rules.js';
import type { ExecutionRow } from '../sql-rows.js';
import type { BindValues, ExecutionValues, FinishAttemptValues, JobRow, Params } from './rows.js';

/** Defines the SQL functions the statements call (`chime_shard`: rules.ts shardOf) on a connection. */
export function defineFunctions(db: Database.Database): void {
  db.function('chime_shard', { deterministic: true }, (id) => shardOf(String(id)));
}

/** The columns of a job record; `kept_count` and the generated `stale_at` are the store's own. */
const JOB_COLUMNS =
  'id, definition, paused, next_fire_at, version, created_at, updated_at, completed_at, fire_count, ' +
  'last_outcome, stale_after_ms, last_fire_at, last_success_at, last_failure_at, succeeded_count, ' +
  'failed_count, missed_count, skipped_count, stale_since, prune_after';
const EXECUTION_COLUMNS =
  'id, job_id, fire_at, run_at, trigger, status, attempt, payload, lease_owner, lease_until, ' +
  'lease_token, attempts, result, error, on_failure, created_at, started_at, finished_at, backfill';
const paramsOf = (columns: string) => columns.replace(/(\w+)/g, '@$1');
/** The columns, each qualified by the table (or alias) `table`. */
const qualified = (columns: string, table: string) => columns.replace(/(\w+)/g, `${table}.$1`);

/*
 * The three queries the contract says are "served by an index" name it with
 * INDEXED BY. In SQLite that is a requirement, not a hint: preparing fails if
 * the index cannot serve the query, so a schema or WHERE change that would fall
 * back to a table scan breaks at open() instead of slowing down in production.
 */

/**
 * Work of `@job` due at `@due` that falls to a share (rules.ts inShare): every
 * job when `@share_from` is NULL, else those of shards `[@share_from,
 * @share_to)`, and any due by `@others_before`. `chime_shard` is rules.ts
 * shardOf, registered on the connection.
 */
const inShare = (job: string, due: string) => `(@share_from IS NULL OR ${due} <= @others_before
    OR chime_shard(${job}) BETWEEN @share_from AND @share_to - 1)`;

/** Unpaused jobs due by `@before`, by next fire; of a share (see {@link inShare}). */
export const JOBS_DUE = `SELECT ${JOB_COLUMNS} FROM jobs INDEXED BY jobs_due
  WHERE paused = 0 AND next_fire_at IS NOT NULL AND next_fire_at <= @before
    AND ${inShare('id', 'next_fire_at')}
  ORDER BY next_fire_at LIMIT @limit`;

/**
 * Leases unleased work due by `@until`, oldest first, of a share (see
 * {@link inShare}), in one statement: the
 * subquery walks `executions_claimable` in `run_at` order. Its callers run it
 * inside `BEGIN IMMEDIATE`, so two claimers never select the same rows.
 *
 * Tried instead: SELECT the ids, then one `UPDATE … WHERE id = ?` per row in
 * the same transaction. In memory, over 100k rows: 0.07 vs 0.13 ms a claim of
 * 10, but 0.5–0.9 vs 0.35–0.55 ms a claim of 100; the one statement stays.
 */
export const EXECUTIONS_CLAIM = `UPDATE executions
  SET lease_owner = @owner, lease_until = max(run_at, @now) + @lease_ms, lease_token = lease_token + 1
  WHERE id IN (
    SELECT id FROM executions INDEXED BY executions_claimable
    WHERE has_work = 1 AND lease_owner IS NULL AND run_at <= @until
      AND ${inShare('job_id', 'run_at')}
    ORDER BY run_at LIMIT @limit)
  RETURNING ${EXECUTION_COLUMNS}`;

/** rules.ts mayHaveRunUnderLease: a planned execution whose instant came while its lease held. */
const MAY_HAVE_RUN_UNDER_LEASE = `status = 'scheduled' AND run_at < lease_until`;

/** Leases whose holder let them expire, oldest expiry first. */
export const EXECUTIONS_EXPIRED = `SELECT ${EXECUTION_COLUMNS} FROM executions INDEXED BY executions_leased
  WHERE lease_owner IS NOT NULL AND lease_until < @now
  ORDER BY lease_until LIMIT @limit`;

/**
 * Jobs by id after `@after_id`, filtered. `@metadata` is the filter as a JSON
 * object; every one of its keys must be in the job's metadata with exactly that
 * string value. Keys are compared decoded (json_each), so any key works —
 * dots, quotes and all — and no JSON path is ever built from one.
 */
const JOBS_LIST = `SELECT ${JOB_COLUMNS} FROM jobs
  WHERE id > @after_id
    AND (@paused IS NULL OR paused = @paused)
    AND (@target_type IS NULL OR json_extract(definition, '$.target.type') = @target_type)
    AND NOT EXISTS (
      SELECT 1 FROM json_each(@metadata) AS wanted
      WHERE NOT EXISTS (
        SELECT 1 FROM json_each(jobs.definition, '$.metadata') AS held
        WHERE held.key = wanted.key AND held.type = 'text' AND held.value = wanted.value))
  ORDER BY id LIMIT @limit`;

/** The listing cursor's row comparison; with no cursor the bound `(MAX, '')` admits every row. */
const LIST_EXECUTIONS_WHERE = `(@status IS NULL OR status = @status)
    AND (fire_at, id) < (@before_fire_at, @before_id)
  ORDER BY fire_at DESC, id DESC LIMIT @limit`;

/** The earliest due instant: the first entry of each of the two due indexes. */
const NEXT_DUE_AT = `SELECT
    (SELECT next_fire_at FROM jobs INDEXED BY jobs_due
      WHERE paused = 0 AND next_fire_at IS NOT NULL ORDER BY next_fire_at LIMIT 1) AS next_fire_at,
    (SELECT run_at FROM executions INDEXED BY executions_claimable
      WHERE has_work = 1 AND lease_owner IS NULL ORDER BY run_at LIMIT 1) AS run_at`;

/** Jobs whose pruner look is due by `@now`, oldest first. */
export const JOBS_TO_PRUNE = `SELECT ${JOB_COLUMNS} FROM jobs INDEXED BY jobs_prune
  WHERE prune_after IS NOT NULL AND prune_after <= @now
  ORDER BY prune_after, id LIMIT @limit`;

/**
 * The jobs that went stale by `@now`, longest stale first, not yet marked;
 * {@link SQL.jobMarkStale} marks each, inside the same `BEGIN IMMEDIATE`, so
 * two callers never mark the same job. Paused and completed jobs are not
 * reported: they are not expected to succeed.
 */
export const JOBS_STALE = `SELECT id FROM jobs INDEXED BY jobs_stale
  WHERE stale_at IS NOT NULL AND stale_since IS NULL AND paused = 0 AND completed_at IS NULL
    AND stale_at <= @now
  ORDER BY stale_at, id LIMIT @limit`;

/*
 * executionsPrune, step by step inside one `BEGIN IMMEDIATE`. A prunable
 * execution (rules.ts isPrunable) is one with `has_work = 0`.
 */

/** The newest prunable execution beyond the `@keep_last` newest: it and older ones go. */
export const PRUNE_BOUNDARY = `SELECT fire_at, id FROM executions INDEXED BY executions_job_fire
  WHERE job_id = @job_id AND has_work = 0
  ORDER BY fire_at DESC, id DESC LIMIT 1 OFFSET @keep_last`;

/** Prunable executions at or before the boundary `(@fire_at, @id)`, oldest first. */
export const PRUNE_BEYOND = `SELECT id, fire_at FROM executions INDEXED BY executions_job_fire
  WHERE job_id = @job_id AND has_work = 0 AND (fire_at, id) <= (@fire_at, @id)
  ORDER BY fire_at, id LIMIT @limit`;

/** Prunable executions finished before `@cutoff`, oldest finish first. */
export const PRUNE_AGED = `SELECT id, fire_at FROM executions INDEXED BY executions_prunable_age
  WHERE job_id = @job_id AND has_work = 0 AND finished_at < @cutoff
  ORDER BY finished_at LIMIT @limit`;

/** The finish time of the job's oldest kept prunable execution. */
export const PRUNE_OLDEST = `SELECT finished_at FROM executions INDEXED BY executions_prunable_age
  WHERE job_id = @job_id AND has_work = 0 AND finished_at IS NOT NULL
  ORDER BY finished_at LIMIT 1`;

/**
 * What an execution's end (or a plan's missed fire) does to its job: the last
 * outcome, the statistics delta the engine decided (counts added, last
 * instants raised, `stale_since` cleared when `@fresh`), and — when it made an
 * execution prunable (`@prunable`) — `prune_after` by rules.ts
 * pruneAfterAdding, where the kept count is `kept_count + @kept` (an insert
 * counted it already: `@kept` = 0) and `@prune_at` the earliest of their
 * finishes (a look planned early finds nothing and plans the next). SET
 * expressions read the row as it was, so `kept_count` is the old count.
 */
/** A last instant raised to `@<column>` when that is given (the later of the two). */
const raised = (column: string) =>
  `CASE WHEN @${column} IS NULL THEN ${column} ELSE max(coalesce(${column}, @${column}), @${column}) END`;
const JOB_TALLY_DUE = `CASE WHEN kept_count + @kept > @keep_last THEN @prune_at + @prune_delay_ms
    ELSE @prune_at + @max_age_ms + @prune_delay_ms END`;
const JOB_TALLY = `UPDATE jobs SET
    last_outcome = coalesce(@last_outcome, last_outcome),
    succeeded_count = succeeded_count + @succeeded,
    failed_count = failed_count + @failed,
    missed_count = missed_count + @missed,
    skipped_count = skipped_count + @skipped,
    last_success_at = ${raised('last_success_at')},
    last_failure_at = ${raised('last_failure_at')},
    last_fire_at = ${raised('last_fire_at')},
    stale_since = CASE WHEN @fresh = 1 THEN NULL ELSE stale_since END,
    kept_count = kept_count + @kept,
    prune_after = CASE WHEN @prunable = 0 THEN prune_after
      ELSE min(coalesce(prune_after, ${JOB_TALLY_DUE}), ${JOB_TALLY_DUE}) END
  WHERE id = @id`;

/** Every statement of the store, by name: what {@link prepareStatements} prepares. */
export const SQL = {
  jobGet: `SELECT ${JOB_COLUMNS} FROM jobs WHERE id = @id`,
  jobInsert: `INSERT INTO jobs (${JOB_COLUMNS}) VALUES (${paramsOf(JOB_COLUMNS)}) ON CONFLICT DO NOTHING`,
  // Leaves what the store keeps (statistics, fire_count, stale_since, prune_after, kept_count) as it is.
  jobUpdate: `UPDATE jobs SET definition = @definition, paused = @paused,
      next_fire_at = @next_fire_at, version = @version, created_at = @created_at, updated_at = @updated_at,
      completed_at = @completed_at, last_outcome = @last_outcome, stale_after_ms = @stale_after_ms
    WHERE id = @id AND version = @expected_version`,
  jobDelete: 'DELETE FROM jobs WHERE id = @id',
  // A compare-and-set delete (a removal of jobsWrite); ON DELETE CASCADE takes the executions.
  jobRemove: 'DELETE FROM jobs WHERE id = @id AND version = @expected_version',
  // @ids: a JSON array of distinct ids, each looked up by the primary key. CROSS JOIN keeps
  // json_each the outer loop: with `id IN (SELECT value FROM json_each(@ids))` the planner
  // scans a small analyzed jobs table instead.
  jobsGet: `SELECT ${qualified(JOB_COLUMNS, 'jobs')}
    FROM json_each(@ids) AS wanted CROSS JOIN jobs WHERE jobs.id = wanted.value`,
  jobsList: JOBS_LIST,
  jobsDue: JOBS_DUE,
  nextDueAt: NEXT_DUE_AT,
  jobAdvance: `UPDATE jobs SET next_fire_at = @next_fire_at, fire_count = fire_count + @fires,
      completed_at = coalesce(@completed_at, completed_at), last_outcome = coalesce(@last_outcome, last_outcome)
    WHERE id = @id AND version = @expected_version AND next_fire_at = @expected_next_fire_at`,
  jobTally: JOB_TALLY,
  // An inserted execution that is already prunable counts among the kept ones.
  jobKeep: 'UPDATE jobs SET kept_count = kept_count + 1 WHERE id = @id',
  jobsToPrune: JOBS_TO_PRUNE,
  jobsStale: JOBS_STALE,
  jobMarkStale: `UPDATE jobs SET stale_since = @now WHERE id = @id AND stale_since IS NULL
    RETURNING ${JOB_COLUMNS}`,
  pruneJob: 'SELECT kept_count, prune_after FROM jobs WHERE id = @id',
  pruneBoundary: PRUNE_BOUNDARY,
  pruneBeyond: PRUNE_BEYOND,
  pruneAged: PRUNE_AGED,
  // @ids: a JSON array of ids. Only prunable rows, whatever the caller picked.
  pruneDelete: `DELETE FROM executions
    WHERE id IN (SELECT value FROM json_each(@ids)) AND has_work = 0`,
  pruneOldest: PRUNE_OLDEST,
  pruneSet: 'UPDATE jobs SET kept_count = @kept_count, prune_after = @prune_after WHERE id = @id',
  // rules.ts isDroppedByChange.
  dropPlanned: `DELETE FROM executions
    WHERE job_id = @job_id AND trigger = 'schedule' AND status = 'scheduled' AND attempt = 0
      AND lease_owner IS NULL AND backfill = 0`,
  // Its last fire was dropped: the job is not completed after all.
  // Planned fires dropped by a change did not happen: they leave the fire count.
  jobReopen: `UPDATE jobs SET completed_at = NULL, fire_count = max(0, fire_count - @dropped)
    WHERE id = @id`,
  // Inserts nothing when the fire exists (executions_job_fire), the id is taken, or the job is gone.
  executionInsert: `INSERT INTO executions (${EXECUTION_COLUMNS})
    SELECT ${paramsOf(EXECUTION_COLUMNS)} WHERE EXISTS (SELECT 1 FROM jobs WHERE id = @job_id)
    ON CONFLICT DO NOTHING RETURNING id`,
  executionGet: `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE id = @id`,
  executionsListAll: `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE ${LIST_EXECUTIONS_WHERE}`,
  executionsListJob: `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE job_id = @job_id AND ${LIST_EXECUTIONS_WHERE}`,
  executionsClaim: EXECUTIONS_CLAIM,
  executionsExpired: EXECUTIONS_EXPIRED,
  // rules.ts markMayHaveRun where mayHaveRunUnderLease (SET expressions read the row as it was).
  executionTakeOver: `UPDATE executions SET lease_owner = @owner, lease_until = @lease_until,
      lease_token = lease_token + 1,
      attempt = CASE WHEN ${MAY_HAVE_RUN_UNDER_LEASE} THEN attempt + 1 ELSE attempt END,
      started_at = CASE WHEN ${MAY_HAVE_RUN_UNDER_LEASE} THEN run_at ELSE started_at END,
      status = CASE WHEN ${MAY_HAVE_RUN_UNDER_LEASE} THEN 'running' ELSE status END
    WHERE id = @id RETURNING ${EXECUTION_COLUMNS}`,
  // The overlap rule of rules.ts (isUnfinishedForOverlap), served by executions_job_fire.
  unfinishedBefore: `SELECT 1 FROM executions
    WHERE job_id = @job_id AND fire_at < @fire_at
      AND (status = 'running' OR (status = 'scheduled' AND (attempt > 0 OR @backfill)))
    LIMIT 1`,
  // Fenced in the statement itself: a stale token, a released lease or a finished row changes nothing.
  // The attempt number fences too: one claim never starts twice. @abandoned: the attempt a previous
  // holder lost, appended with the start (NULL: none).
  startRunning: `UPDATE executions SET status = 'running', attempt = @attempt, started_at = @started_at,
      attempts = CASE WHEN @abandoned IS NULL THEN attempts
        ELSE json_insert(attempts, '$[#]', json(@abandoned)) END
    WHERE id = @id AND lease_token = @lease_token AND lease_owner IS NOT NULL
      AND status IN ('scheduled', 'running') AND attempt = @attempt - 1`,
  // An attempt marked running when it has run a while (fenced; only a planned one is marked).
  markRunning: `UPDATE executions SET status = 'running', attempt = @attempt, started_at = @started_at
    WHERE id = @id AND lease_token = @lease_token AND lease_owner IS NOT NULL AND status = 'scheduled'`,
  // NULL @result / @error mean "unchanged"; JSON null arrives as the text 'null'. The attempt
  // record's number and start become the execution's (@attempt_no, @attempt_started_at).
  finish: `UPDATE executions SET status = @status, run_at = coalesce(@run_at, run_at),
      attempts = CASE
        WHEN @abandoned IS NOT NULL AND @attempt IS NOT NULL
          THEN json_insert(attempts, '$[#]', json(@abandoned), '$[#]', json(@attempt))
        WHEN @abandoned IS NOT NULL THEN json_insert(attempts, '$[#]', json(@abandoned))
        WHEN @attempt IS NOT NULL THEN json_insert(attempts, '$[#]', json(@attempt))
        ELSE attempts END,
      attempt = coalesce(@attempt_no, attempt), started_at = coalesce(@attempt_started_at, started_at),
      result = coalesce(@result, result), error = coalesce(@error, error), on_failure = @on_failure,
      finished_at = @finished_at,
      lease_owner = CASE WHEN @keep_lease_until IS NULL THEN NULL ELSE lease_owner END,
      lease_until = @keep_lease_until
    WHERE id = @id AND job_id = @job_id AND lease_token = @lease_token
      AND lease_owner IS NOT NULL
      AND CASE @from WHEN 'claimed' THEN status IN ('scheduled', 'running')
        ELSE status = 'failed' AND on_failure = 'pending' END
    RETURNING fire_at`,
  // The common end (fire-writes.ts finishRow): an attempt that ran from a claim appended, the lease
  // released. It leaves run_at alone (every column SET counts as changed, and run_at is indexed)
  // and binds its values by position (FinishAttemptValues): ~3 µs a row less than `finish`;
  // its job's id comes with the request (FinishRequest.jobId), so it returns nothing.
  finishAttempt: `UPDATE executions SET status = ? /* status */,
      attempts = json_insert(attempts, '$[#]', json(? /* attempt */)),
      attempt = ? /* attempt_no */, started_at = ? /* attempt_started_at */,
      result = coalesce(? /* result */, result), error = coalesce(? /* error */, error),
      on_failure = ? /* on_failure */, finished_at = ? /* finished_at */,
      lease_owner = NULL, lease_until = NULL
    WHERE id = ? /* id */ AND job_id = ? /* job_id */ AND lease_token = ? /* lease_token */
      AND lease_owner IS NOT NULL AND status IN ('scheduled', 'running')`,
  leaseRenew: `UPDATE executions SET lease_until = @until
    WHERE id = @id AND lease_token = @lease_token AND lease_owner = @owner`,
  leaseRelease: `UPDATE executions SET lease_owner = NULL, lease_until = NULL
    WHERE id = @id AND lease_token = @lease_token`,
} as const;

type Row = Record<string, unknown>;

/** What the store runs of a prepared statement, each run counted (`StoreUsage.statements`). */
export interface Stmt<R, P = Params> {
  run(params: P): Database.RunResult;
  get(params: P): R | undefined;
  all(params: P): R[];
}

/** The store's counter of statements run. */
export interface StatementCounter {
  statements: number;
}

/**
 * Prepares `sql` on `db` with every run counted in `counter`. A row is an
 * object by default; `raw`, an array of its values in column order
 * (better-sqlite3 builds an object of 19 named properties in ~1.5 µs, an
 * array in a fraction of that); `pluck`, its first column's value.
 */
export function counted<R, P extends Params | BindValues = Params>(
  db: Database.Database,
  sql: string,
  counter: StatementCounter,
  rows: 'object' | 'raw' | 'pluck' = 'object',
): Stmt<R, P> {
  // One argument either way: an object binds by name, an array by position.
  const statement = db.prepare<[P], R>(sql);
  if (rows === 'raw') statement.raw(true);
  if (rows === 'pluck') statement.pluck(true);
  return {
    run: (params) => {
      counter.statements++;
      return statement.run(params);
    },
    get: (params) => {
      counter.statements++;
      return statement.get(params);
    },
    all: (params) => {
      counter.statements++;
      return statement.all(params);
    },
  };
}

/** The prepared statements of one connection. */
export interface Statements {
  jobGet: Stmt<JobRow>;
  jobInsert: Stmt<Row>;
  jobUpdate: Stmt<Row>;
  jobDelete: Stmt<Row>;
  jobRemove: Stmt<Row>;
  jobsGet: Stmt<JobRow>;
  jobsList: Stmt<JobRow>;
  jobsDue: Stmt<JobRow>;
  nextDueAt: Stmt<{ next_fire_at: number | null; run_at: number | null }>;
  jobAdvance: Stmt<Row>;
  jobTally: Stmt<Row>;
  jobKeep: Stmt<Row>;
  jobsToPrune: Stmt<JobRow>;
  jobsStale: Stmt<{ id: string }>;
  jobMarkStale: Stmt<JobRow>;
  pruneJob: Stmt<{ kept_count: number; prune_after: number | null }>;
  pruneBoundary: Stmt<{ fire_at: number; id: string }>;
  pruneBeyond: Stmt<{ id: string; fire_at: number }>;
  pruneAged: Stmt<{ id: string; fire_at: number }>;
  pruneDelete: Stmt<Row>;
  pruneOldest: Stmt<{ finished_at: number }>;
  pruneSet: Stmt<Row>;
  dropPlanned: Stmt<Row>;
  executionInsert: Stmt<{ id: string }>;
  executionGet: Stmt<ExecutionRow>;
  executionsListAll: Stmt<ExecutionRow>;
  executionsListJob: Stmt<ExecutionRow>;
  executionsClaim: Stmt<ExecutionValues>;
  executionsExpired: Stmt<ExecutionRow>;
  executionTakeOver: Stmt<ExecutionRow>;
  unfinishedBefore: Stmt<Row>;
  startRunning: Stmt<Row>;
  markRunning: Stmt<Row>;
  jobReopen: Stmt<Row>;
  finish: Stmt<number>;
  finishAttempt: Stmt<never, FinishAttemptValues>;
  leaseRenew: Stmt<Row>;
  leaseRelease: Stmt<Row>;
}

/** Prepares every statement of the store on `db` (after its migrations ran), each run counted. */
export function prepareStatements(db: Database.Database, counter: StatementCounter): Statements {
  const p = <R, P extends Params | BindValues = Params>(
    sql: string,
    rows?: 'object' | 'raw' | 'pluck',
  ) => counted<R, P>(db, sql, counter, rows);
  return {
    jobGet: p<JobRow>(SQL.jobGet),
    jobInsert: p<Row>(SQL.jobInsert),
    jobUpdate: p<Row>(SQL.jobUpdate),
    jobDelete: p<Row>(SQL.jobDelete),
    jobRemove: p<Row>(SQL.jobRemove),
    jobsGet: p<JobRow>(SQL.jobsGet),
    jobsList: p<JobRow>(SQL.jobsList),
    jobsDue: p<JobRow>(SQL.jobsDue),
    nextDueAt: p<{ next_fire_at: number | null; run_at: number | null }>(SQL.nextDueAt),
    jobAdvance: p<Row>(SQL.jobAdvance),
    jobTally: p<Row>(SQL.jobTally),
    jobKeep: p<Row>(SQL.jobKeep),
    jobsToPrune: p<JobRow>(SQL.jobsToPrune),
    jobsStale: p<{ id: string }>(SQL.jobsStale),
    jobMarkStale: p<JobRow>(SQL.jobMarkStale),
    pruneJob: p<{ kept_count: number; prune_after: number | null }>(SQL.pruneJob),
    pruneBoundary: p<{ fire_at: number; id: string }>(SQL.pruneBoundary),
    pruneBeyond: p<{ id: string; fire_at: number }>(SQL.pruneBeyond),
    pruneAged: p<{ id: string; fire_at: number }>(SQL.pruneAged),
    pruneDelete: p<Row>(SQL.pruneDelete),
    pruneOldest: p<{ finished_at: number }>(SQL.pruneOldest),
    pruneSet: p<Row>(SQL.pruneSet),
    dropPlanned: p<Row>(SQL.dropPlanned),
    executionInsert: p<{ id: string }>(SQL.executionInsert),
    executionGet: p<ExecutionRow>(SQL.executionGet),
    executionsListAll: p<ExecutionRow>(SQL.executionsListAll),
    executionsListJob: p<ExecutionRow>(SQL.executionsListJob),
    executionsClaim: p<ExecutionValues>(SQL.executionsClaim, 'raw'),
    executionsExpired: p<ExecutionRow>(SQL.executionsExpired),
    executionTakeOver: p<ExecutionRow>(SQL.executionTakeOver),
    unfinishedBefore: p<Row>(SQL.unfinishedBefore),
    startRunning: p<Row>(SQL.startRunning),
    markRunning: p<Row>(SQL.markRunning),
    jobReopen: p<Row>(SQL.jobReopen),
    finish: p<number>(SQL.finish, 'pluck'),
    finishAttempt: p<never, FinishAttemptValues>(SQL.finishAttempt),
    leaseRenew: p<Row>(SQL.leaseRenew),
    leaseRelease: p<Row>(SQL.leaseRelease),
  };
}
