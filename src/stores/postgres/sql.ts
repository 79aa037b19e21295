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
 * The statements of leases and attempts (claim, take-over, fenced writes)
 * are in `lease-sql.ts`, those that write and read jobs by id or list them in
 * `job-sql.ts`, those of the registry in `registry-sql.ts`.
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
import { jobSqlOf } from './job-sql.js';
import { leaseSqlOf } from './lease-sql.js';
import { registrySqlOf } from './registry-sql.js';
import { EXECUTION_COLUMNS, JOB_COLUMNS, TYPES } from './rows.js';
import { WOKE, inShare, jobAs, list, pruneLook, wake } from './sql-fragments.js';

/** A statement ready to bind: its prepared-statement name, its text and its parameters in `$n` order. */
export interface Statement {
  readonly name: string;
  readonly text: string;
  readonly params: readonly string[];
}

/** A bound value: a scalar, or an array of scalars for `unnest()`. */
export type Value =
  | string
  | number
  | boolean
  | Buffer
  | null
  | readonly (string | number | boolean | Buffer | null)[];

/** Executions bound as parallel arrays, one element per row, in their given order. */
const FIRES = `fire AS (
    SELECT * FROM unnest(@ids::text[], @job_ids::text[], @fire_ats::bigint[], @run_ats::bigint[],
      @triggers::text[], @statuses::text[], @attempts::int[], @payloads::text[], @lease_owners::text[],
      @lease_untils::bigint[], @lease_tokens::bigint[], @attempt_lists::text[], @results::text[],
      @errors::text[], @on_failures::text[], @created_ats::bigint[], @started_ats::bigint[],
      @finished_ats::bigint[], @backfills::boolean[])
      WITH ORDINALITY AS f(${EXECUTION_COLUMNS.join(', ')}, ord))`;

/**
 * Inserts the `fire` rows whose job passes `jobFilter`; when `skipping`, a
 * taken id or fire is skipped, else it fails the statement (`plan-writes.ts`).
 */
const insertFires = (s: string, jobFilter: string, skipping = true) => `inserted AS (
    INSERT INTO ${s}.executions (${EXECUTION_COLUMNS.join(', ')})
    SELECT f.id, f.job_id, f.fire_at, f.run_at, f.trigger, f.status, f.attempt, f.payload::jsonb,
      f.lease_owner, f.lease_until, f.lease_token, f.attempts::json, f.result::jsonb,
      f.error::jsonb, f.on_failure, f.created_at, f.started_at, f.finished_at, f.backfill
    FROM fire f WHERE ${jobFilter}
    ORDER BY f.ord
    ${skipping ? 'ON CONFLICT DO NOTHING' : ''}
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

/**
 * Planning steps, each a compare-and-set of its job (read from the locked
 * row); the fires of the plans that hold are inserted (a fire that exists
 * fails the statement, or is skipped when `skipping`: `plan-writes.ts`), then each such job advances, counting the missed and skipped fires inserted
 * and planning the pruner's look for the prunable ones. One row per applied
 * plan and leased fire it inserted (or one with NULL execution columns).
 * Callers bind each job at most once per statement.
 */
const jobsAdvance = (s: string, skipping: boolean) => `WITH plans AS (
    SELECT * FROM unnest(@plan_job_ids::text[], @expected_versions::int[],
      @expected_next_fire_ats::bigint[], @next_fire_ats::bigint[], @completed_ats::bigint[],
      @fires::bigint[], @last_outcomes::text[], @keep_lasts::int[], @max_ages::bigint[])
      WITH ORDINALITY AS p(job_id, expected_version, expected_next_fire_at, next_fire_at,
        completed_at, fires, last_outcome, keep_last, max_age, ord)
  ), locked AS MATERIALIZED (
    SELECT j.id, coalesce(j.version, 1) AS version, j.next_fire_at, coalesce(j.kept_count, 0) AS kept_count
    FROM ${s}.jobs j
    WHERE j.id IN (SELECT job_id FROM plans)
    ORDER BY j.id FOR NO KEY UPDATE SKIP LOCKED
  ), ok AS MATERIALIZED (
    SELECT p.*, l.kept_count FROM plans p JOIN locked l ON l.id = p.job_id
    WHERE l.version = p.expected_version AND l.next_fire_at = p.expected_next_fire_at
  ), ${FIRES}, ${insertFires(s, 'f.job_id IN (SELECT job_id FROM ok)', skipping)}, ${queueFires(s)},
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
      completed_at = coalesce(o.completed_at, j.completed_at), fire_count = nullif(coalesce(j.fire_count, 0) + o.fires, 0),
      last_outcome = coalesce(o.last_outcome::jsonb, j.last_outcome),
      missed_count = nullif(coalesce(j.missed_count, 0) + coalesce(t.missed, 0), 0),
      skipped_count = nullif(coalesce(j.skipped_count, 0) + coalesce(t.skipped, 0), 0),
      kept_count = nullif(coalesce(j.kept_count, 0) + coalesce(t.kept, 0), 0),
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
    SELECT j.id, coalesce(j.kept_count, 0) AS kept_count FROM ${s}.jobs j WHERE j.id = @job_id
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
        WHEN coalesce(j.kept_count, 0) - c.n > @keep_last::bigint THEN @now::bigint + @prune_delay_ms::bigint
        ELSE (SELECT finished_at FROM oldest) + @max_age::bigint + @prune_delay_ms::bigint
      END AS look
    FROM ${s}.jobs j, counted c WHERE j.id = (SELECT id FROM job)
  ), passed AS (
    UPDATE ${s}.jobs j SET kept_count = nullif(greatest(coalesce(j.kept_count, 0) - c.n, 0), 0),
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
    ...jobSqlOf(s),
    jobsDue: `SELECT ${JOB} FROM ${s}.jobs j
      WHERE NOT j.paused AND j.next_fire_at IS NOT NULL AND j.next_fire_at <= @before::bigint
        AND ${inShare('j.id', 'j.next_fire_at')}
      ORDER BY j.next_fire_at LIMIT @limit`,
    // The first entry of each of the two due indexes; least() skips a NULL.
    nextDueAt: `SELECT least(
        (SELECT next_fire_at FROM ${s}.jobs WHERE NOT paused AND next_fire_at IS NOT NULL
          ORDER BY next_fire_at LIMIT 1),
        (SELECT run_at FROM ${s}.work WHERE NOT held ORDER BY run_at LIMIT 1)) AS due_at`,
    jobsAdvance: jobsAdvance(s, false),
    jobsAdvanceSkipping: jobsAdvance(s, true),
    // Inserts nothing when the fire exists (executions_job_fire), the id is taken, or the job is gone.
    // An execution inserted prunable counts among its job's kept ones.
    executionInsert: `WITH ${FIRES},
      ${insertFires(s, `EXISTS (SELECT 1 FROM ${s}.jobs j WHERE j.id = f.job_id)`)}, ${queueFires(s)},
      kept AS (
        UPDATE ${s}.jobs j SET kept_count = nullif(coalesce(j.kept_count, 0) + c.n, 0)
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
    // The job of a pruning pass, locked before it (see executionsPrune).
    pruneLock: `SELECT id FROM ${s}.jobs WHERE id = @job_id FOR NO KEY UPDATE`,
    ...leaseSqlOf(s),
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
