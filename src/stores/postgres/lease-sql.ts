/**
 * The Postgres store's statements of leases and attempts: the claim, the
 * take-over, fenced starts and finishes, running marks, lease renewals and
 * releases, with `@name` parameters like `sql.ts` (whose module comment gives
 * the lock order and the table of work they keep in step).
 *
 * Fenced batch writes (start, running mark, lease renewal and release) read
 * the fence — token, owner, status, attempt — from the rows they lock
 * (`xlock`, {@link XLOCK_COLUMNS}: the newest versions) and then update those
 * rows by id alone; the finish states its fence in its UPDATE (see there).
 * Before migration 8 a predicate such as `lease_owner IS NOT NULL` on the
 * updated table let the planner reach it through a partial index, which after
 * an `ANALYZE` that saw no leases looked like one row and was in fact every
 * lease held: a start of 50 rows took 100 ms instead of 3.
 */
import { EXECUTION_COLUMNS } from './rows.js';
import { WOKE, after, inShare, jobAs, list, pruneLook, wake } from './sql-fragments.js';

/** What a fenced batch write reads from the executions it locks (see the module comment). */
const XLOCK_COLUMNS = `x.id, x.job_id, x.fire_at, x.trigger, x.status, x.attempt, x.lease_token,
  x.lease_owner, x.on_failure, x.backfill`;

/** The executions named by `@ids`, locked in id order (the order every statement locks them in). */
const xlock = (s: string) => `xlock AS MATERIALIZED (
    SELECT ${XLOCK_COLUMNS} FROM ${s}.executions x WHERE x.id = ANY(@ids::text[])
    ORDER BY x.id FOR NO KEY UPDATE
  )`;

/** The overlap rule of `rules.ts` (isUnfinishedForOverlap) for execution `v`, served by executions_job_fire. */
const unfinishedBefore = (s: string, v: string) => `EXISTS (
      SELECT 1 FROM ${s}.executions o WHERE o.job_id = ${v}.job_id AND o.fire_at < ${v}.fire_at
        AND (o.status = 'running' OR (o.status = 'scheduled' AND (o.attempt > 0 OR ${v}.backfill))))`;

/**
 * The attempts `list` (a `json` array: migration 12) with the JSON text
 * `item` appended, or as it is when `item` is NULL. The store writes the
 * array as compact text, so appending is text: no JSONB round trip.
 */
const appended = (list: string, item: string) => `CASE WHEN ${item} IS NULL THEN ${list}
      WHEN json_array_length(${list}) = 0 THEN ('[' || ${item} || ']')::json
      ELSE (left(rtrim(${list}::text), -1) || ',' || ${item} || ']')::json END`;

/**
 * Leases unleased work due by `@until`, oldest `run_at` first, of a share
 * ({@link inShare}), in one
 * statement: the `due` step walks `work_due` in `run_at` order and
 * locks at most `@limit` work rows with their executions, skipping rows another
 * claimer holds locked (`SKIP LOCKED`), so concurrent claimers neither wait for
 * nor double-claim each other's rows; the UPDATEs lease them (work row and
 * execution) and the final join returns each with its job. Its cost follows
 * `@limit`, not the table: the index holds only unleased work.
 * (The figures below were measured before migration 8, on `executions` alone.)
 *
 * Measured against alternatives: 20,000 jobs, 100,000 executions of which
 * 10,000 due; 400 claims of 10; PG 15 on a loaded 2-core VM where a round
 * trip costs 0.08 ms and the commit dominates; two runs, each the median of 3:
 *   - this statement:                                     1.04–1.12 ms a claim,
 *                                                         2.1–2.8 ms with 4 claimers at once
 *   - UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED),
 *     then a SELECT of the jobs:                          1.06–1.17 ms, 2.2–2.9 ms
 *   - BEGIN; SELECT … FOR UPDATE SKIP LOCKED; UPDATE … WHERE id = ANY(…);
 *     SELECT the jobs; COMMIT:                            1.46–1.51 ms, 3.7 ms
 * The one statement is as fast as the best, needs no transaction on one
 * connection, and returns the claims in order. Without SKIP LOCKED, claimers
 * would queue on the same first rows instead of taking the next ones. The
 * planner may hash a small jobs table for the final join; on a large one it
 * looks each job up by key (the store's tests check the plan at 20,000 jobs).
 */
const claim = (s: string) => `WITH due AS MATERIALIZED (
    SELECT w.id FROM ${s}.work w JOIN ${s}.executions e ON e.id = w.id
    WHERE NOT w.held AND w.run_at <= @until::bigint
      AND ${inShare('w.job_id', 'w.run_at')}
    ORDER BY w.run_at
    LIMIT @limit
    FOR NO KEY UPDATE OF w, e SKIP LOCKED
  ), leased AS (
    UPDATE ${s}.work w
    SET held = true, lease_until = greatest(w.run_at, @now::bigint) + @lease_ms::bigint
    FROM due WHERE w.id = due.id
  ), claimed AS (
    UPDATE ${s}.executions e
    SET lease_owner = @owner, lease_until = greatest(e.run_at, @now::bigint) + @lease_ms::bigint,
      lease_token = e.lease_token + 1
    FROM due WHERE e.id = due.id
    RETURNING e.*
  )
  SELECT ${list(EXECUTION_COLUMNS, 'c')}, ${jobAs('j')}
  FROM claimed c JOIN ${s}.jobs j ON j.id = c.job_id
  ORDER BY c.run_at, c.id`;

/** rules.ts mayHaveRunUnderLease: a planned execution whose instant came while its lease held. */
const MAY_HAVE_RUN = `e.status = 'scheduled' AND e.run_at < e.lease_until`;

/**
 * Leases work whose lease expired before `@now`, oldest expiry first, like the
 * claim; each row names the previous holder (`taken_from`), whose lost attempt
 * the engine records. A planned execution whose instant came while the lease
 * held is marked started (rules.ts markMayHaveRun): it may have run from memory.
 */
const takeOver = (s: string) => `WITH expired AS MATERIALIZED (
    SELECT w.id, e.lease_owner FROM ${s}.work w JOIN ${s}.executions e ON e.id = w.id
    WHERE w.held AND w.lease_until < @now::bigint
    ORDER BY w.lease_until
    LIMIT @limit
    FOR NO KEY UPDATE OF w, e SKIP LOCKED
  ), retaken AS (
    UPDATE ${s}.work w SET lease_until = greatest(w.run_at, @now::bigint) + @lease_ms::bigint
    FROM expired x WHERE w.id = x.id
  ), taken AS (
    UPDATE ${s}.executions e
    SET lease_owner = @owner, lease_until = greatest(e.run_at, @now::bigint) + @lease_ms::bigint,
      lease_token = e.lease_token + 1,
      attempt = CASE WHEN ${MAY_HAVE_RUN} THEN e.attempt + 1 ELSE e.attempt END,
      started_at = CASE WHEN ${MAY_HAVE_RUN} THEN e.run_at ELSE e.started_at END,
      status = CASE WHEN ${MAY_HAVE_RUN} THEN 'running' ELSE e.status END
    FROM expired x WHERE e.id = x.id
    RETURNING e.*, x.lease_owner AS taken_from
  )
  SELECT ${list(EXECUTION_COLUMNS, 't')}, t.taken_from, ${jobAs('j')}
  FROM taken t JOIN ${s}.jobs j ON j.id = t.job_id
  ORDER BY t.run_at, t.id`;

/**
 * Fenced starts, answered per request by `ord` with `started` or
 * `overlapping` (absent: rejected). The fence: the lease token, a held lease,
 * a startable status and the attempt number (recorded + 1), so one claim
 * never starts twice. Under `unless_overlapping` a start is refused, writing
 * nothing, when an earlier fire of its job is unfinished — in the table, or
 * by an earlier request of this batch — which gives the answers of applying
 * the requests one by one (a request refused for an earlier one implies an
 * unfinished fire earlier still); callers lock the jobs of such requests
 * first (`startLock`, same transaction), so two instances decide one after
 * the other. A start appends the attempt a previous holder abandoned, if
 * given. Callers bind each execution at most once per statement.
 */
const executionsStart = (s: string) => `WITH req AS (
    SELECT * FROM unnest(@ids::text[], @lease_tokens::bigint[], @attempts::int[],
      @started_ats::bigint[], @unless_overlappings::boolean[], @abandoned::text[])
      WITH ORDINALITY AS r(id, lease_token, attempt, started_at, unless_overlapping, abandoned, ord)
  ), ${xlock(s)}, fenced AS (
    SELECT r.*, l.job_id, l.fire_at, l.backfill
    FROM req r JOIN xlock l ON l.id = r.id
    WHERE l.lease_token = r.lease_token AND l.lease_owner IS NOT NULL
      AND l.status IN ('scheduled', 'running') AND l.attempt = r.attempt - 1
  ), decided AS (
    SELECT v.*, CASE
      WHEN v.unless_overlapping AND (${unfinishedBefore(s, 'v')}
        OR EXISTS (SELECT 1 FROM fenced w WHERE w.job_id = v.job_id AND w.fire_at < v.fire_at
          AND w.ord < v.ord)) THEN 'overlapping'
      ELSE 'started' END AS outcome
    FROM fenced v
  ), changed AS (
    UPDATE ${s}.executions e SET status = 'running', attempt = d.attempt,
      started_at = d.started_at,
      attempts = ${appended('e.attempts', 'd.abandoned')}
    FROM decided d
    WHERE e.id = d.id AND d.outcome = 'started'
  )
  SELECT ord, outcome FROM decided`;

/** rules.ts isPrunable of the state a finish request `r` writes. */
const prunableAfter = (r: string) =>
  `NOT (${r}.status IN ('scheduled', 'running')
    OR (${r}.status = 'failed' AND ${r}.on_failure IS NOT DISTINCT FROM 'pending'))`;

/**
 * Fenced finishes, answered per request by `ord`: accepted while the lease and
 * token hold and the execution is in the state `from` names (rules.ts
 * isFinishable). The fence is a condition of the UPDATE itself, which
 * Postgres checks again on the newest version of a row it waited for: no
 * lock record per execution before its update, and since migration 8 no
 * partial index of `executions` names the lease for the planner to misjudge.
 * Requests are taken in id order, the order every statement locks them in. Per job, in one write: the latest accepted last outcome, the
 * sum of the engine's statistics deltas (counts added, last instants raised,
 * staleness ended by a fresh one), and the pruner's look for the executions
 * that became prunable (a finish starts from a state that is not prunable).
 * The jobs of requests that may change their job are locked first.
 */
const executionsFinish = (s: string) => `WITH req AS (
    SELECT * FROM unnest(@ids::text[], @lease_tokens::bigint[], @statuses::text[],
      @run_ats::bigint[], @attempts::text[], @abandoneds::text[], @attempt_nos::int[],
      @attempt_started_ats::bigint[], @results::text[], @errors::text[],
      @on_failures::text[], @finished_ats::bigint[], @keep_lease_untils::bigint[],
      @last_outcomes::text[], @froms::text[], @keep_lasts::int[], @max_ages::bigint[],
      @succeeded_deltas::int[], @failed_deltas::int[], @missed_deltas::int[],
      @skipped_deltas::int[], @last_fire_ats::bigint[], @last_success_ats::bigint[],
      @last_failure_ats::bigint[], @freshes::boolean[])
      WITH ORDINALITY AS r(id, lease_token, status, run_at, attempt, abandoned, attempt_no,
        attempt_started_at, result, error, on_failure,
        finished_at, keep_lease_until, last_outcome, from_state, keep_last, max_age,
        succeeded_delta, failed_delta, missed_delta, skipped_delta, last_fire_at,
        last_success_at, last_failure_at, fresh, ord)
  ), jlock AS MATERIALIZED (
    SELECT j.id, coalesce(j.kept_count, 0) AS kept_count FROM ${s}.jobs j
    WHERE j.id IN (SELECT x.job_id FROM ${s}.executions x JOIN req r ON r.id = x.id AND x.id = ANY(@ids::text[])
      WHERE r.status <> 'scheduled' OR r.last_outcome IS NOT NULL)
    ORDER BY j.id FOR NO KEY UPDATE
  ), done AS (
    UPDATE ${s}.executions e SET status = r.status, run_at = coalesce(r.run_at, e.run_at),
      attempts = ${appended(appended('e.attempts', 'r.abandoned'), 'r.attempt')},
      attempt = coalesce(r.attempt_no, e.attempt),
      started_at = coalesce(r.attempt_started_at, e.started_at),
      result = coalesce(r.result::jsonb, e.result), error = coalesce(r.error::jsonb, e.error),
      on_failure = r.on_failure, finished_at = r.finished_at,
      lease_owner = CASE WHEN r.keep_lease_until IS NULL THEN NULL ELSE e.lease_owner END,
      lease_until = r.keep_lease_until
    FROM (SELECT * FROM req ORDER BY id) r
    WHERE e.id = r.id AND ${after('jlock')} AND e.lease_token = r.lease_token
      AND e.lease_owner IS NOT NULL
      AND CASE r.from_state WHEN 'claimed' THEN e.status IN ('scheduled', 'running')
        ELSE e.status = 'failed' AND e.on_failure = 'pending' END
    RETURNING r.ord, e.id, e.job_id, r.status, r.last_outcome, r.keep_last, r.max_age,
      e.has_work, e.run_at AS work_run_at, e.lease_owner IS NOT NULL AS work_held,
      e.lease_until AS work_until,
      coalesce(r.finished_at, e.fire_at) AS at, r.succeeded_delta, r.failed_delta,
      r.missed_delta, r.skipped_delta, r.last_fire_at, r.last_success_at, r.last_failure_at,
      r.fresh, ${prunableAfter('r')} AS prunable
  ), requeued AS (
    UPDATE ${s}.work w SET run_at = d.work_run_at, held = d.work_held, lease_until = d.work_until
    FROM done d WHERE w.id = d.id AND d.has_work
  ), dequeued AS (
    DELETE FROM ${s}.work w USING done d WHERE w.id = d.id AND NOT d.has_work
  ), ended AS (
    SELECT d.*, count(*) FILTER (WHERE d.prunable) OVER (PARTITION BY d.job_id ORDER BY d.ord) AS nth
    FROM done d
  ), tally AS (
    SELECT n.job_id,
      (array_agg(n.last_outcome ORDER BY n.ord DESC)
        FILTER (WHERE n.last_outcome IS NOT NULL))[1] AS last_outcome,
      sum(n.succeeded_delta) AS succeeded, sum(n.failed_delta) AS failed,
      sum(n.missed_delta) AS missed, sum(n.skipped_delta) AS skipped,
      max(n.last_success_at) AS last_success_at, max(n.last_failure_at) AS last_failure_at,
      max(n.last_fire_at) AS last_fire_at, bool_or(n.fresh) AS fresh,
      count(*) FILTER (WHERE n.prunable) AS kept,
      min(${pruneLook('l.kept_count', 'n.nth', 'n.at', 'n.keep_last', 'n.max_age')})
        FILTER (WHERE n.prunable) AS due
    FROM ended n JOIN jlock l ON l.id = n.job_id
    GROUP BY n.job_id
  ), tallied AS (
    UPDATE ${s}.jobs j SET last_outcome = coalesce(t.last_outcome::jsonb, j.last_outcome),
      succeeded_count = nullif(coalesce(j.succeeded_count, 0) + t.succeeded, 0),
      failed_count = nullif(coalesce(j.failed_count, 0) + t.failed, 0),
      missed_count = nullif(coalesce(j.missed_count, 0) + t.missed, 0),
      skipped_count = nullif(coalesce(j.skipped_count, 0) + t.skipped, 0),
      last_success_at = greatest(j.last_success_at, t.last_success_at),
      last_failure_at = greatest(j.last_failure_at, t.last_failure_at),
      last_fire_at = greatest(j.last_fire_at, t.last_fire_at),
      stale_since = CASE WHEN t.fresh THEN NULL ELSE j.stale_since END,
      kept_count = nullif(coalesce(j.kept_count, 0) + t.kept, 0),
      prune_after = least(j.prune_after, t.due), prune_look = least(j.prune_look, t.due)
    FROM tally t WHERE j.id = t.job_id
  )
  SELECT ord FROM done`;

/** The statements of leases and attempts for one (quoted) schema. */
export function leaseSqlOf(s: string) {
  return {
    executionsClaim: claim(s),
    executionsTakeOver: takeOver(s),
    // Locks the jobs of starts that may end their execution, before the start statement, in id
    // order: overlap decisions of one job are serialized across instances, and the start's
    // statement counts skipped and missed fires in the job versions it holds.
    startLock: `SELECT j.id FROM ${s}.jobs j
      WHERE j.id IN (SELECT job_id FROM ${s}.executions WHERE id = ANY(@ids::text[]))
      ORDER BY j.id FOR NO KEY UPDATE`,
    executionsStart: executionsStart(s),
    executionsFinish: executionsFinish(s),
    // Long-running attempts marked running (fenced; only a planned one is marked).
    executionsMarkRunning: `WITH r AS (SELECT * FROM unnest(@ids::text[], @lease_tokens::bigint[],
        @attempts::int[], @started_ats::bigint[]) AS r(id, lease_token, attempt, started_at)),
      ${xlock(s)}
      UPDATE ${s}.executions e SET status = 'running', attempt = r.attempt, started_at = r.started_at
      FROM r JOIN xlock l ON l.id = r.id
      WHERE e.id = l.id AND l.lease_token = r.lease_token AND l.lease_owner IS NOT NULL
        AND l.status = 'scheduled'
      RETURNING e.id`,
    leasesRenew: `WITH r AS (SELECT * FROM unnest(@ids::text[], @lease_tokens::bigint[]) AS r(id, lease_token)),
      ${xlock(s)}, renewed AS (
        UPDATE ${s}.executions e SET lease_until = @until::bigint
        FROM r JOIN xlock l ON l.id = r.id
        WHERE e.id = l.id AND l.lease_token = r.lease_token AND l.lease_owner = @owner::text
        RETURNING e.id
      ), requeued AS (
        UPDATE ${s}.work w SET lease_until = @until::bigint FROM renewed n WHERE w.id = n.id
      )
      SELECT id FROM renewed`,
    leasesRelease: `WITH r AS (SELECT * FROM unnest(@ids::text[], @lease_tokens::bigint[]) AS r(id, lease_token)),
      ${xlock(s)}, released AS (
        UPDATE ${s}.executions e SET lease_owner = NULL, lease_until = NULL
        FROM r JOIN xlock l ON l.id = r.id
        WHERE e.id = l.id AND l.lease_token = r.lease_token
        RETURNING e.id, e.run_at, e.has_work
      ), requeued AS (
        UPDATE ${s}.work w SET held = false, lease_until = NULL
        FROM released d WHERE w.id = d.id
      ), ${wake('released', 'run_at', 'has_work')}
      SELECT ${WOKE}`,
  };
}
