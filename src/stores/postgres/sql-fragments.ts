/**
 * SQL fragments the Postgres store's statement modules share (`sql.ts`,
 * `lease-sql.ts`, `registry-sql.ts`): column lists, the NOTIFY step, the
 * pruner's look, the share of due work, and the step that orders locks.
 * Parameters are written `@name`, as in the statements.
 */
import { JOB_COLUMNS } from './rows.js';

/** The database clock in epoch ms (the time a NOTIFY's "due soon" is judged by). */
export const DB_NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

export const list = (columns: readonly string[], alias: string) =>
  columns.map((c) => `${alias}.${c}`).join(', ');
/** Job columns of a joined row, prefixed `j_` so they do not clash with the execution's. */
export const jobAs = (alias: string) =>
  JOB_COLUMNS.map((c) => `${alias}.${c} AS j_${c}`).join(', ');

/** The notification step: `src` is a CTE of changed rows, `due` their due time, `cond` which count. */
export const wake = (src: string, due: string, cond: string) => `wake AS (
    SELECT pg_notify(@channel, json_build_object('dueAt', w.due_at)::text)
    FROM (SELECT min(${due}) AS due_at FROM ${src} WHERE ${cond}) w
    WHERE w.due_at <= ${DB_NOW_MS} + @notify_within_ms::bigint)`;
/** Forces the `wake` step (a SELECT-only CTE runs only when read). */
export const WOKE = '(SELECT count(*) FROM wake) AS woke';

/**
 * rules.ts pruneAfterAdding's look for the `nth` execution of a batch that
 * became prunable at `at`, when the job kept `kept` before the batch.
 */
export const pruneLook = (
  kept: string,
  nth: string,
  at: string,
  keepLast: string,
  maxAge: string,
) =>
  `CASE WHEN ${kept} + ${nth} > ${keepLast} THEN ${at} + @prune_delay_ms::bigint
    ELSE ${at} + ${maxAge} + @prune_delay_ms::bigint END`;

/**
 * A condition that holds (the CTE's rows are counted, never negative) and
 * that makes the step it guards run after the CTE `cte`: a statement that
 * must lock its jobs before its executions guards the executions' lock with
 * the jobs' one.
 */
export const after = (cte: string) => `(SELECT count(*) FROM ${cte}) >= 0`;

/**
 * Work of job `job` due at `due` that falls to a share (rules.ts inShare):
 * every job when `@share_from` is NULL, else those of shards `[@share_from,
 * @share_to)` (rules.ts shardOf: the first 16 bits of the id's MD5), and any
 * due by `@others_before`.
 */
export const inShare = (job: string, due: string) => `(@share_from::int IS NULL
      OR ${due} <= @others_before::bigint
      OR ('x' || substr(md5(${job}), 1, 4))::bit(16)::int
        BETWEEN @share_from::int AND @share_to::int - 1)`;
