/**
 * The Postgres store's statements. Every value is bound as a parameter —
 * written `@name` here and compiled to `$n` by {@link compile} — and the only
 * text spliced in is the schema, quoted by the validating quoter. Each
 * statement carries a name derived from its text, so pg prepares it once per
 * connection (and two schemas on one pool never share a name).
 *
 * Methods that take many rows bind them as arrays and `unnest()` them: one
 * round trip per batch, not per row. Statements that can create work due soon
 * end with a `wake` step that `pg_notify`s the schema's channel with
 * `{"dueAt": <ms>}` when that work is due within `@notify_within_ms` of the
 * database clock; a notification is sent on commit, never for work rolled back.
 *
 * Locks: a write that changes both jobs and executions locks the jobs first,
 * then the executions, each kind in id order (`FOR NO KEY UPDATE`), or takes
 * the executions with `SKIP LOCKED`, which never waits; writes that lock rows
 * of one kind lock them in id order or with `SKIP LOCKED`. Where it can, the
 * job lock is a statement of its own in the write's transaction (`startLock`,
 * `pruneLock`): a statement that locks a row another transaction updated
 * after the statement began holds the newest version, yet a later step of it
 * reaches the row through the version its snapshot saw, and can then queue
 * behind a waiter that waits for it. The finish keeps its job lock in one
 * statement (one round trip on the fire path), as planning does; the rare
 * deadlock victim is run again (`connection.ts`).
 *
 * The table of work (migration 8) mirrors each execution that has work — due
 * time and lease — for the claim, take-over and next-due queries; every
 * statement that changes an execution's due time, lease or whether it has
 * work changes its work row in the same statement. A statement that may wait
 * locks executions before their work rows (job, execution, work); the claim
 * and the take-over, which find their rows through `work`, lock the work row
 * and its execution together with `SKIP LOCKED` and so never wait.
 *
 * Fenced batch writes (start, lease renewal and release) read the
 * fence — token, owner, status, attempt — from the rows they lock (`xlock`,
 * {@link XLOCK_COLUMNS}: the newest versions) and then update those rows by id
 * alone. A predicate such as `lease_owner IS NOT NULL` on the updated table
 * would let the planner reach it through a partial index, which after an
 * `ANALYZE` that saw no leases looks like one row and is in fact every lease
 * held: a start of 50 rows took 100 ms instead of 3.
 *
 * A job keeps its run statistics and, for the pruner, `kept_count` (its
 * prunable executions: `NOT has_work`, rules.ts isPrunable) and
 * `prune_after`. A batch that makes several executions of one job prunable
 * applies rules.ts pruneAfterAdding to each in request order: the n-th of them
 * counts `kept_count + n`, and `prune_after` becomes the least of the looks.
 *
 * What the pruner's index (`jobs_prune_look`) holds is `prune_look` (migration
 * 8), never later than `prune_after`: every write of `prune_after` lowers it as
 * far, a pruning pass and a job update set it to `prune_after`, and a plan
 * lowers it to the look its first fire with work would get ({@link plannedLook}).
 * The finish of that fire then leaves it as it is, and its update of the job
 * changes no indexed column.
 */
import { createHash } from 'node:crypto';
import type { QueryConfig } from 'pg';
import { quoteSchema } from './identifiers.js';
import { registrySqlOf } from './registry-sql.js';
import { EXECUTION_COLUMNS, JOB_COLUMNS, TYPES } from './rows.js';

/** What a fenced batch write reads from the executions it locks (see the module comment). */
const XLOCK_COLUMNS = `x.id, x.job_id, x.fire_at, x.trigger, x.status, x.attempt, x.lease_token,
  x.lease_owner, x.on_failure`;

/** The executions named by `@ids`, locked in id order (the order every statement locks them in). */
const xlock = (s: string) => `xlock AS MATERIALIZED (
    SELECT ${XLOCK_COLUMNS} FROM ${s}.executions x WHERE x.id = ANY(@ids::text[])
    ORDER BY x.id FOR NO KEY UPDATE
  )`;

/** A statement ready to bind: its prepared-statement name, its text and its parameters in `$n` order. */
export interface Statement {
  readonly name: string;
  readonly text: string;
  readonly params: readonly string[];
}

/** A bound value: a scalar, or an array of scalars for `unnest()`. */
export type Value =
  string | number | boolean | null | readonly (string | number | boolean | null)[];

/** The database clock in epoch ms (the time a NOTIFY's "due soon" is judged by). */
const DB_NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

const list = (columns: readonly string[], alias: string) =>
  columns.map((c) => `${alias}.${c}`).join(', ');
/** Job columns of a joined row, prefixed `j_` so they do not clash with the execution's. */
const jobAs = (alias: string) => JOB_COLUMNS.map((c) => `${alias}.${c} AS j_${c}`).join(', ');

/** The notification step: `src` is a CTE of changed rows, `due` their due time, `cond` which count. */
const wake = (src: string, due: string, cond: string) => `wake AS (
    SELECT pg_notify(@channel, json_build_object('dueAt', w.due_at)::text)
    FROM (SELECT min(${due}) AS due_at FROM ${src} WHERE ${cond}) w
    WHERE w.due_at <= ${DB_NOW_MS} + @notify_within_ms::bigint)`;
/** Forces the `wake` step (a SELECT-only CTE runs only when read). */
const WOKE = '(SELECT count(*) FROM wake) AS woke';

/**
 * rules.ts pruneAfterAdding's look for the `nth` execution of a batch that
 * became prunable at `at`, when the job kept `kept` before the batch.
 */
const pruneLook = (kept: string, nth: string, at: string, keepLast: string, maxAge: string) =>
  `CASE WHEN ${kept} + ${nth} > ${keepLast} THEN ${at} + @prune_delay_ms::bigint
    ELSE ${at} + ${maxAge} + @prune_delay_ms::bigint END`;

/**
 * A condition that holds (the CTE's rows are counted, never negative) and
 * that makes the step it guards run after the CTE `cte`: a statement that
 * must lock its jobs before its executions guards the executions' lock with
 * the jobs' one.
 */
const after = (cte: string) => `(SELECT count(*) FROM ${cte}) >= 0`;

/**
 * Work of job `job` due at `due` that falls to a share (rules.ts inShare):
 * every job when `@share_from` is NULL, else those of shards `[@share_from,
 * @share_to)` (rules.ts shardOf: the first 16 bits of the id's MD5), and any
 * due by `@others_before`.
 */
const inShare = (job: string, due: string) => `(@share_from::int IS NULL
      OR ${due} <= @others_before::bigint
      OR ('x' || substr(md5(${job}), 1, 4))::bit(16)::int
        BETWEEN @share_from::int AND @share_to::int - 1)`;

/** Executions bound as parallel arrays, one element per row, in their given order. */
const FIRES = `fire AS (
    SELECT * FROM unnest(@ids::text[], @job_ids::text[], @fire_ats::bigint[], @run_ats::bigint[],
      @triggers::text[], @statuses::text[], @attempts::int[], @payloads::text[], @lease_owners::text[],
      @lease_untils::bigint[], @lease_tokens::bigint[], @attempt_lists::text[], @results::text[],
      @errors::text[], @on_failures::text[], @created_ats::bigint[], @started_ats::bigint[],
      @finished_ats::bigint[], @backfills::boolean[])
      WITH ORDINALITY AS f(${EXECUTION_COLUMNS.join(', ')}, ord))`;

/** Inserts the `fire` rows whose job passes `jobFilter`; a taken id or fire is skipped. */
const insertFires = (s: string, jobFilter: string) => `inserted AS (
    INSERT INTO ${s}.executions (${EXECUTION_COLUMNS.join(', ')})
    SELECT f.id, f.job_id, f.fire_at, f.run_at, f.trigger, f.status, f.attempt, f.payload::jsonb,
      f.lease_owner, f.lease_until, f.lease_token, f.attempts::jsonb, f.result::jsonb,
      f.error::jsonb, f.on_failure, f.created_at, f.started_at, f.finished_at, f.backfill
    FROM fire f WHERE ${jobFilter}
    ORDER BY f.ord
    ON CONFLICT DO NOTHING
    RETURNING *)`;

/** Queues the inserted executions that have work in the table of work (migration 8). */
const queueFires = (s: string) => `queued AS (
    INSERT INTO ${s}.work (id, job_id, run_at, held, lease_until)
    SELECT i.id, i.job_id, i.run_at, i.lease_owner IS NOT NULL, i.lease_until
    FROM inserted i WHERE i.has_work)`;

/**
 * The pruner's look a plan sets for a job whose first fire with work is due
 * at `w.run_at` (plan `o`, tally `t` of what the plan made prunable): when
 * that fire would be looked at were it to end at its due time (rules.ts
 * pruneAfterAdding), rounded down to `@prune_granularity_ms`. Its finish then
 * plans a look no earlier, so `prune_look` (which `jobs_prune_look` indexes)
 * keeps its value and the finish's update of the job can stay on its page.
 */
const plannedLook = (o: string, t: string, w: string) => `((${w}.run_at
      + CASE WHEN ${o}.kept_count + coalesce(${t}.kept, 0) + 1 > ${o}.keep_last THEN 0
        ELSE ${o}.max_age END + @prune_delay_ms::bigint)
      / @prune_granularity_ms::bigint * @prune_granularity_ms::bigint)`;

/** Deletes the job of `where`, then its executions, then their work: the order writes lock them in. */
const removeJob = (s: string, where: string) => `gone AS (
    DELETE FROM ${s}.jobs WHERE ${where} RETURNING id
  ), removed AS (
    DELETE FROM ${s}.executions e USING gone g WHERE e.job_id = g.id RETURNING e.id
  ), unqueued AS (
    DELETE FROM ${s}.work w USING removed x WHERE w.id = x.id
  )`;

/** The overlap rule of `rules.ts` (isUnfinishedForOverlap) for execution `v`, served by executions_job_recent. */
const unfinishedBefore = (s: string, v: string) => `EXISTS (
      SELECT 1 FROM ${s}.executions o WHERE o.job_id = ${v}.job_id AND o.fire_at < ${v}.fire_at
        AND (o.status = 'running' OR (o.status = 'scheduled' AND o.attempt > 0)))`;

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
 * New jobs, one row per array element (`rows.ts` jobArrays: an array per
 * column, named after it), inserted in the
 * arrays' order; an id taken — by a row, or by an earlier element — inserts
 * nothing. Returns the ids inserted.
 */
const jobsInsert = (s: string) => `WITH ins AS (
    INSERT INTO ${s}.jobs (${JOB_COLUMNS.join(', ')}, prune_look)
    SELECT id, definition::jsonb, hash, paused, next_fire_at, version, created_at, updated_at,
      completed_at, fire_count, last_outcome::jsonb, stale_after_ms, last_fire_at, last_success_at,
      last_failure_at, succeeded_count, failed_count, missed_count, skipped_count, stale_since,
      prune_after, prune_after
    FROM unnest(@id::text[], @definition::text[], @hash::text[], @paused::boolean[],
      @next_fire_at::bigint[], @version::int[], @created_at::bigint[], @updated_at::bigint[],
      @completed_at::bigint[], @fire_count::bigint[], @last_outcome::text[], @stale_after_ms::bigint[],
      @last_fire_at::bigint[], @last_success_at::bigint[], @last_failure_at::bigint[],
      @succeeded_count::bigint[], @failed_count::bigint[], @missed_count::bigint[],
      @skipped_count::bigint[], @stale_since::bigint[], @prune_after::bigint[])
      WITH ORDINALITY AS r(${JOB_COLUMNS.join(', ')}, ord)
    ORDER BY r.ord
    ON CONFLICT DO NOTHING RETURNING id, paused, next_fire_at
  ), ${wake('ins', 'next_fire_at', 'NOT paused')}
  SELECT id, ${WOKE} FROM ins`;

/** Jobs by id after a cursor, filtered; `metadata` adds the metadata filter's conditions. */
const jobsList = (s: string, metadata: string) => `SELECT ${list(JOB_COLUMNS, 'j')} FROM ${s}.jobs j
      WHERE j.id > @after_id::text
        AND (@paused::boolean IS NULL OR j.paused = @paused::boolean)
        AND (@target_type::text IS NULL OR j.definition -> 'target' ->> 'type' = @target_type::text)
        ${metadata}
      ORDER BY j.id LIMIT @limit`;

/**
 * Planning steps, each a compare-and-set of its job (read from the locked
 * row); the fires of the plans that hold are inserted (a fire that exists is
 * skipped), then each such job advances, counting the missed and skipped fires inserted
 * and planning the pruner's look for the prunable ones. One row per applied
 * plan and leased fire it inserted (or one with NULL execution columns).
 * Callers bind each job at most once per statement.
 */
const jobsAdvance = (s: string) => `WITH plans AS (
    SELECT * FROM unnest(@plan_job_ids::text[], @expected_versions::int[],
      @expected_next_fire_ats::bigint[], @next_fire_ats::bigint[], @completed_ats::bigint[],
      @fires::bigint[], @last_outcomes::text[], @keep_lasts::int[], @max_ages::bigint[])
      WITH ORDINALITY AS p(job_id, expected_version, expected_next_fire_at, next_fire_at,
        completed_at, fires, last_outcome, keep_last, max_age, ord)
  ), locked AS MATERIALIZED (
    SELECT j.id, j.version, j.next_fire_at, j.kept_count FROM ${s}.jobs j
    WHERE j.id IN (SELECT job_id FROM plans)
    ORDER BY j.id FOR NO KEY UPDATE SKIP LOCKED
  ), ok AS MATERIALIZED (
    SELECT p.*, l.kept_count FROM plans p JOIN locked l ON l.id = p.job_id
    WHERE l.version = p.expected_version AND l.next_fire_at = p.expected_next_fire_at
  ), ${FIRES}, ${insertFires(s, 'f.job_id IN (SELECT job_id FROM ok)')}, ${queueFires(s)},
  kept AS (
    SELECT i.job_id, i.status, coalesce(i.finished_at, i.created_at) AS at,
      row_number() OVER (PARTITION BY i.job_id
        ORDER BY (SELECT min(f.ord) FROM fire f WHERE f.id = i.id)) AS nth
    FROM inserted i WHERE NOT i.has_work
  ), tally AS (
    SELECT k.job_id, count(*) FILTER (WHERE k.status = 'missed') AS missed,
      count(*) FILTER (WHERE k.status = 'skipped') AS skipped, count(*) AS kept,
      min(${pruneLook('o.kept_count', 'k.nth', 'k.at', 'o.keep_last', 'o.max_age')}) AS due
    FROM kept k JOIN ok o ON o.job_id = k.job_id
    GROUP BY k.job_id
  ), work_due AS (
    SELECT i.job_id, min(i.run_at) AS run_at FROM inserted i WHERE i.has_work GROUP BY i.job_id
  ), advanced AS (
    UPDATE ${s}.jobs j SET next_fire_at = o.next_fire_at,
      completed_at = coalesce(o.completed_at, j.completed_at), fire_count = j.fire_count + o.fires,
      last_outcome = coalesce(o.last_outcome::jsonb, j.last_outcome),
      missed_count = j.missed_count + coalesce(t.missed, 0),
      skipped_count = j.skipped_count + coalesce(t.skipped, 0),
      kept_count = j.kept_count + coalesce(t.kept, 0),
      prune_after = least(j.prune_after, t.due),
      prune_look = least(j.prune_look, t.due, ${plannedLook('o', 't', 'w')})
    FROM ok o LEFT JOIN tally t ON t.job_id = o.job_id LEFT JOIN work_due w ON w.job_id = o.job_id
    WHERE j.id = o.job_id
    RETURNING o.ord, ${jobAs('j')}
  ), ${wake('inserted', 'run_at', 'lease_owner IS NULL AND has_work')}
  SELECT a.*, ${list(EXECUTION_COLUMNS, 'i')}, ${WOKE}
  FROM advanced a LEFT JOIN inserted i ON i.job_id = a.j_id AND i.lease_owner IS NOT NULL
  ORDER BY a.ord, i.run_at, i.id`;

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
    SELECT r.*, l.job_id, l.fire_at
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
      attempts = CASE WHEN d.abandoned IS NULL THEN e.attempts
        ELSE e.attempts || jsonb_build_array(d.abandoned::jsonb) END
    FROM decided d
    WHERE e.id = d.id AND d.outcome = 'started'
  )
  SELECT ord, outcome FROM decided`;

/** A JSON text or NULL as a jsonb array of it, or an empty one. */
const asArray = (json: string) =>
  `CASE WHEN ${json} IS NULL THEN '[]'::jsonb ELSE jsonb_build_array(${json}::jsonb) END`;

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
    SELECT j.id, j.kept_count FROM ${s}.jobs j
    WHERE j.id IN (SELECT x.job_id FROM ${s}.executions x JOIN req r ON r.id = x.id AND x.id = ANY(@ids::text[])
      WHERE r.status <> 'scheduled' OR r.last_outcome IS NOT NULL)
    ORDER BY j.id FOR NO KEY UPDATE
  ), done AS (
    UPDATE ${s}.executions e SET status = r.status, run_at = coalesce(r.run_at, e.run_at),
      attempts = e.attempts || ${asArray('r.abandoned')} || ${asArray('r.attempt')},
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
      succeeded_count = j.succeeded_count + t.succeeded,
      failed_count = j.failed_count + t.failed,
      missed_count = j.missed_count + t.missed,
      skipped_count = j.skipped_count + t.skipped,
      last_success_at = greatest(j.last_success_at, t.last_success_at),
      last_failure_at = greatest(j.last_failure_at, t.last_failure_at),
      last_fire_at = greatest(j.last_fire_at, t.last_fire_at),
      stale_since = CASE WHEN t.fresh THEN NULL ELSE j.stale_since END,
      kept_count = j.kept_count + t.kept,
      prune_after = least(j.prune_after, t.due), prune_look = least(j.prune_look, t.due)
    FROM tally t WHERE j.id = t.job_id
  )
  SELECT ord FROM done`;

/**
 * One pruning pass over a job, after `pruneLock` locked the job in the same
 * transaction (see the module comment). Its prunable executions are picked, oldest fire first and at
 * most `@limit`: those at or before the newest one beyond the `@keep_last`
 * newest (`boundary`, looked for only when the kept count says there is one),
 * and those finished before `@cutoff` (`aged`; when more than `@limit` aged
 * out, the oldest finished are the ones taken). Rows another pass holds are
 * skipped (`SKIP LOCKED`) and rows another pass deleted are gone, so two
 * passes at once delete each row once. The job's kept count drops by what was
 * deleted and, if `prune_after` is still `@expected_prune_after`, the next
 * look follows rules.ts pruneAfterPass. Answers how many were deleted.
 */
const executionsPrune = (s: string) => `WITH job AS MATERIALIZED (
    SELECT j.id, j.kept_count FROM ${s}.jobs j WHERE j.id = @job_id
  ), boundary AS MATERIALIZED (
    SELECT e.fire_at, e.id FROM ${s}.executions e
    WHERE e.job_id = @job_id AND NOT e.has_work
      AND (SELECT kept_count FROM job) > @keep_last::bigint
    ORDER BY e.fire_at DESC, e.id DESC OFFSET @keep_last::bigint LIMIT 1
  ), beyond AS (
    SELECT e.id, e.fire_at FROM ${s}.executions e, boundary b
    WHERE e.job_id = @job_id AND NOT e.has_work AND (e.fire_at, e.id) <= (b.fire_at, b.id)
    ORDER BY e.fire_at, e.id LIMIT @limit::bigint
  ), aged AS (
    SELECT e.id, e.fire_at FROM ${s}.executions e
    WHERE e.job_id = @job_id AND NOT e.has_work AND e.finished_at < @cutoff::bigint
      AND EXISTS (SELECT 1 FROM job)
    ORDER BY e.finished_at LIMIT @limit::bigint
  ), picked AS (
    SELECT c.id FROM (SELECT * FROM beyond UNION SELECT * FROM aged) c
    ORDER BY c.fire_at, c.id LIMIT @limit::bigint
  ), doomed AS MATERIALIZED (
    SELECT x.id FROM ${s}.executions x
    WHERE x.id IN (SELECT id FROM picked) AND NOT x.has_work
    ORDER BY x.id FOR NO KEY UPDATE SKIP LOCKED
  ), deleted AS (
    DELETE FROM ${s}.executions e USING doomed d WHERE e.id = d.id RETURNING e.id
  ), counted AS (
    SELECT count(*) AS n FROM deleted
  ), oldest AS (
    SELECT e.finished_at FROM ${s}.executions e
    WHERE e.job_id = @job_id AND NOT e.has_work AND e.finished_at IS NOT NULL
      AND e.id NOT IN (SELECT id FROM deleted)
    ORDER BY e.finished_at LIMIT 1
  ), next_look AS (
    SELECT j.prune_after IS DISTINCT FROM @expected_prune_after::bigint AS moved, CASE
        WHEN c.n >= @limit::bigint THEN @now::bigint
        WHEN j.kept_count - c.n > @keep_last::bigint THEN @now::bigint + @prune_delay_ms::bigint
        ELSE (SELECT finished_at FROM oldest) + @max_age::bigint + @prune_delay_ms::bigint
      END AS look
    FROM ${s}.jobs j, counted c WHERE j.id = (SELECT id FROM job)
  ), passed AS (
    UPDATE ${s}.jobs j SET kept_count = greatest(j.kept_count - c.n, 0),
      prune_after = CASE WHEN x.moved THEN j.prune_after ELSE x.look END,
      prune_look = CASE WHEN x.moved THEN j.prune_look ELSE x.look END
    FROM counted c, next_look x WHERE j.id = (SELECT id FROM job)
  )
  SELECT n AS deleted FROM counted`;

/** The cursor and filter of executionsList; with no cursor the bound `(MAX, '')` admits every row. */
const LIST_EXECUTIONS_WHERE = `(@status::text IS NULL OR status = @status::text)
    AND (fire_at, id) < (@before_fire_at::bigint, @before_id::text)
  ORDER BY fire_at DESC, id DESC LIMIT @limit`;

/** Every statement of the store for one schema, by name (SQL text with `@name` parameters). */
function sqlOf(s: string) {
  const EXECUTION = list(EXECUTION_COLUMNS, 'e');
  const JOB = list(JOB_COLUMNS, 'j');
  return {
    jobGet: `SELECT ${JOB} FROM ${s}.jobs j WHERE j.id = @id`,
    jobsInsert: jobsInsert(s),
    // The job is locked first (compare-and-set on its version); with @drop_planned its planned
    // fires nobody holds (rules.ts isDroppedByChange) are deleted, and when any were, it is no
    // longer completed.
    // What the store keeps (statistics, fire_count, stale_since, prune_after, kept_count) stays
    // as it is; planned fires dropped did not happen: they leave the fire count.
    jobUpdate: `WITH locked AS (
        SELECT id FROM ${s}.jobs WHERE id = @id AND version = @expected_version FOR NO KEY UPDATE
      ), dropped AS (
        DELETE FROM ${s}.executions e USING locked
        WHERE @drop_planned::boolean AND e.job_id = locked.id AND e.trigger = 'schedule'
          AND e.status = 'scheduled' AND e.attempt = 0 AND e.lease_owner IS NULL AND NOT e.backfill
        RETURNING e.id
      ), unqueued AS (
        DELETE FROM ${s}.work w USING dropped d WHERE w.id = d.id
      ), upd AS (
        UPDATE ${s}.jobs j SET definition = @definition::jsonb, hash = @hash, paused = @paused,
          next_fire_at = @next_fire_at, version = @version, created_at = @created_at,
          updated_at = @updated_at, last_outcome = @last_outcome::jsonb,
          stale_after_ms = @stale_after_ms::bigint,
          completed_at = CASE WHEN EXISTS (SELECT 1 FROM dropped) THEN NULL ELSE @completed_at::bigint END,
          fire_count = greatest(0, j.fire_count - (SELECT count(*) FROM dropped)),
          prune_look = j.prune_after
        FROM locked WHERE j.id = locked.id
        RETURNING j.id, j.paused, j.next_fire_at
      ), ${wake('upd', 'next_fire_at', 'NOT paused')}
      SELECT id, ${WOKE} FROM upd`,
    // Each id looked up by the primary key; one array parameter, however many ids.
    jobsGet: `SELECT ${JOB} FROM ${s}.jobs j WHERE j.id = ANY(@ids::text[])`,
    // One statement: the job, then its executions, then their work (the lock order).
    jobDelete: `WITH ${removeJob(s, 'id = @id')} SELECT id FROM gone`,
    // A compare-and-set delete (a removal of jobsWrite), as jobDelete.
    jobRemove: `WITH ${removeJob(s, 'id = @id AND version = @expected_version')} SELECT id FROM gone`,
    jobsList: jobsList(s, ''),
    // Metadata: containment of the wanted pairs (exact string values), served by jobs_metadata
    // (whose predicate it states: a job with wanted pairs has metadata).
    jobsListMetadata: jobsList(
      s,
      `AND j.definition -> 'metadata' @> @metadata::jsonb
        AND j.definition -> 'metadata' <> '{}'::jsonb`,
    ),
    jobsDue: `SELECT ${JOB} FROM ${s}.jobs j
      WHERE NOT j.paused AND j.next_fire_at IS NOT NULL AND j.next_fire_at <= @before::bigint
        AND ${inShare('j.id', 'j.next_fire_at')}
      ORDER BY j.next_fire_at LIMIT @limit`,
    // The first entry of each of the two due indexes; least() skips a NULL.
    nextDueAt: `SELECT least(
        (SELECT next_fire_at FROM ${s}.jobs WHERE NOT paused AND next_fire_at IS NOT NULL
          ORDER BY next_fire_at LIMIT 1),
        (SELECT run_at FROM ${s}.work WHERE NOT held ORDER BY run_at LIMIT 1)) AS due_at`,
    jobsAdvance: jobsAdvance(s),
    // Inserts nothing when the fire exists (executions_fire), the id is taken, or the job is gone.
    // An execution inserted prunable counts among its job's kept ones.
    executionInsert: `WITH ${FIRES},
      ${insertFires(s, `EXISTS (SELECT 1 FROM ${s}.jobs j WHERE j.id = f.job_id)`)}, ${queueFires(s)},
      kept AS (
        UPDATE ${s}.jobs j SET kept_count = j.kept_count + c.n
        FROM (SELECT job_id, count(*) AS n FROM inserted WHERE NOT has_work GROUP BY job_id) c
        WHERE j.id = c.job_id
      ), ${wake('inserted', 'run_at', 'lease_owner IS NULL AND has_work')}
      SELECT id, ${WOKE} FROM inserted`,
    executionGet: `SELECT ${EXECUTION} FROM ${s}.executions e WHERE e.id = @id`,
    executionsListAll: `SELECT ${EXECUTION} FROM ${s}.executions e WHERE ${LIST_EXECUTIONS_WHERE}`,
    executionsListJob: `SELECT ${EXECUTION} FROM ${s}.executions e
      WHERE job_id = @job_id AND ${LIST_EXECUTIONS_WHERE}`,
    // Served by jobs_prune_look: every job whose pruneAfter is due has a look no later, so it is
    // among those whose look is due; by look, not by pruneAfter (the order of the index).
    jobsToPrune: `SELECT ${JOB} FROM ${s}.jobs j
      WHERE j.prune_look IS NOT NULL AND j.prune_look <= @now::bigint
        AND j.prune_after <= @now::bigint
      ORDER BY j.prune_look, j.id LIMIT @limit`,
    executionsPrune: executionsPrune(s),
    // Served by jobs_stale. SKIP LOCKED: two callers never mark (and report) the same job.
    // Paused and completed jobs are not reported: they are not expected to succeed.
    jobsStale: `WITH due AS MATERIALIZED (
        SELECT id FROM ${s}.jobs
        WHERE stale_at IS NOT NULL AND stale_since IS NULL AND NOT paused AND completed_at IS NULL
          AND stale_at <= @now::bigint
        ORDER BY stale_at, id LIMIT @limit
        FOR NO KEY UPDATE SKIP LOCKED
      ), marked AS (
        UPDATE ${s}.jobs j SET stale_since = @now::bigint
        FROM due WHERE j.id = due.id AND j.stale_since IS NULL
        RETURNING j.*
      )
      SELECT ${list(JOB_COLUMNS, 'm')} FROM marked m ORDER BY m.stale_at, m.id`,
    executionsClaim: claim(s),
    executionsTakeOver: takeOver(s),
    // Locks the jobs of starts that may end their execution, before the start statement, in id
    // order: overlap decisions of one job are serialized across instances, and the start's
    // statement counts skipped and missed fires in the job versions it holds.
    startLock: `SELECT j.id FROM ${s}.jobs j
      WHERE j.id IN (SELECT job_id FROM ${s}.executions WHERE id = ANY(@ids::text[]))
      ORDER BY j.id FOR NO KEY UPDATE`,
    // The job of a pruning pass, locked before it (see executionsPrune).
    pruneLock: `SELECT id FROM ${s}.jobs WHERE id = @job_id FOR NO KEY UPDATE`,
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
    clock: `SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms`,
    ...registrySqlOf(s, wake),
  };
}

/** The statement names of the store. */
export type StatementName = keyof ReturnType<typeof sqlOf>;

/** Every statement of the store for one schema, compiled. */
export type Statements = Record<StatementName, Statement>;

/**
 * The store's statements for `schema`, which passes the validating quoter.
 * @throws ChimeError `CHIME_ERR_OPTION_INVALID` for a bad schema name
 */
export function statementsFor(schema: string): Statements {
  const source = sqlOf(quoteSchema(schema));
  const compiled = {} as Statements;
  for (const key of Object.keys(source) as StatementName[]) {
    compiled[key] = compile(key, source[key]);
  }
  return compiled;
}

/** Turns `@name` parameters into `$n` (one number per distinct name) and names the statement by its text. */
export function compile(key: string, sql: string): Statement {
  const params: string[] = [];
  const text = sql.replace(/@([a-z_]+)/g, (_match, param: string) => {
    const at = params.indexOf(param);
    if (at >= 0) return `$${at + 1}`;
    params.push(param);
    return `$${params.length}`;
  });
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
  return { name: `chime_${key}_${digest}`, text, params };
}

/**
 * A query for pg: the statement with its values in parameter order. Every
 * parameter must be given (undefined is a programming error, never NULL).
 */
export function bind(statement: Statement, values: Readonly<Record<string, Value>>): QueryConfig {
  const ordered = statement.params.map((param) => {
    const value = values[param];
    if (value === undefined) {
      throw new Error(`Postgres statement ${statement.name}: parameter @${param} is not bound`);
    }
    return value;
  });
  return { name: statement.name, text: statement.text, values: ordered, types: TYPES };
}
