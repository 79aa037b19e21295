/**
 * The Postgres store's statements that write jobs (insert, update, delete,
 * each with its executions and work where it must) and read them by id or
 * list them; part of `sql.ts`'s set (see its comment for the conventions).
 */
import { JOB_COLUMNS } from './rows.js';
import { WOKE, list, wake } from './sql-fragments.js';

/** The compare-and-set of a job write: `version` is NULL while it is 1 (migration 14). */
const SAME_VERSION = 'coalesce(version, 1) = @expected_version';

/** Steps deleting the jobs `where` selects, then their executions, then their work (the lock order). */
const removeJob = (s: string, where: string) => `gone AS (
    DELETE FROM ${s}.jobs WHERE ${where} RETURNING id
  ), removed AS (
    DELETE FROM ${s}.executions e USING gone g WHERE e.job_id = g.id RETURNING e.id
  ), unqueued AS (
    DELETE FROM ${s}.work w USING removed x WHERE w.id = x.id
  )`;

/**
 * New jobs, one row per array element (`rows.ts` jobArrays: an array per
 * column, named after it), inserted in the arrays' order. Returns the ids
 * inserted. With `skipping`, an id taken — by a row, or by an earlier
 * element — inserts nothing; without, it fails the statement (`job-writes.ts`).
 */
const jobsInsert = (s: string, skipping: boolean) => `WITH ins AS (
    INSERT INTO ${s}.jobs (${JOB_COLUMNS.join(', ')}, prune_look)
    SELECT id, definition::json, paused, next_fire_at, version, created_at, updated_at,
      completed_at, nullif(fire_count, 0), last_outcome::jsonb, stale_after_ms, last_fire_at,
      last_success_at, last_failure_at, nullif(succeeded_count, 0), nullif(failed_count, 0),
      nullif(missed_count, 0), nullif(skipped_count, 0), stale_since,
      prune_after, prune_after
    FROM unnest(@id::text[], @definition::text[], @paused::boolean[],
      @next_fire_at::bigint[], @version::int[], @created_at::bigint[], @updated_at::bigint[],
      @completed_at::bigint[], @fire_count::bigint[], @last_outcome::text[], @stale_after_ms::bigint[],
      @last_fire_at::bigint[], @last_success_at::bigint[], @last_failure_at::bigint[],
      @succeeded_count::bigint[], @failed_count::bigint[], @missed_count::bigint[],
      @skipped_count::bigint[], @stale_since::bigint[], @prune_after::bigint[])
      WITH ORDINALITY AS r(${JOB_COLUMNS.join(', ')}, ord)
    ORDER BY r.ord
    ${skipping ? 'ON CONFLICT DO NOTHING' : ''} RETURNING id, paused, next_fire_at
  ), ${wake('ins', 'next_fire_at', 'NOT paused')}
  SELECT id, ${WOKE} FROM ins`;

/** A job's listing filters, but metadata: after the cursor, paused, target type. */
const LIST_FILTERS = (j: string) => `${j}.id > @after_id::text
        AND (@paused::boolean IS NULL OR ${j}.paused = @paused::boolean)
        AND (@target_type::text IS NULL OR coalesce(${j}.definition -> 'target' ->> 'type', 'handler') = @target_type::text)`;

/** Containment of the wanted metadata pairs, in the terms of `jobs_metadata` (its expression and predicate). */
const HAS_METADATA = (j: string) => `${j}.definition -> 'metadata' IS NOT NULL
          AND (${j}.definition -> 'metadata')::jsonb @> @metadata::jsonb`;

/** Jobs by id after a cursor, filtered. */
const jobsList = (s: string) => `SELECT ${list(JOB_COLUMNS, 'j')} FROM ${s}.jobs j
      WHERE ${LIST_FILTERS('j')}
      ORDER BY j.id LIMIT @limit`;

/**
 * {@link jobsList} with the metadata filter. Containment's row estimate is a
 * guess, and left to the planner beside `ORDER BY id LIMIT` it walked
 * `jobs_pkey` testing every job — all of them when none matched. So the
 * walk is bounded: the next ten pages' worth of jobs by id (`near`); when
 * they hold less than a page of matches, the matches are found through
 * `jobs_metadata` instead (`far`, skipped otherwise), then ordered and cut. A
 * common value costs a short walk, a rare one its matches.
 */
const jobsListMetadata = (s: string) => `WITH near AS MATERIALIZED (
        SELECT j.id FROM ${s}.jobs j
        WHERE ${LIST_FILTERS('j')} AND ${HAS_METADATA('j')}
          AND j.id <= (SELECT max(w.id) FROM (SELECT id FROM ${s}.jobs WHERE id > @after_id::text
            ORDER BY id LIMIT 10 * @limit) w)
        ORDER BY j.id LIMIT @limit
      ), far AS MATERIALIZED (
        SELECT m.id FROM ${s}.jobs m
        WHERE (SELECT count(*) FROM near) < @limit AND m.id > @after_id::text AND ${HAS_METADATA('m')}
      )
      SELECT ${list(JOB_COLUMNS, 'j')} FROM ${s}.jobs j
      WHERE ${LIST_FILTERS('j')} AND j.id IN (SELECT id FROM near UNION ALL SELECT id FROM far)
      ORDER BY j.id LIMIT @limit`;

/** The job statements for one (quoted) schema. */
export function jobSqlOf(s: string) {
  const JOB = list(JOB_COLUMNS, 'j');
  return {
    jobGet: `SELECT ${JOB} FROM ${s}.jobs j WHERE j.id = @id`,
    jobsInsert: jobsInsert(s, false),
    jobsInsertSkipping: jobsInsert(s, true),
    savepoint: 'SAVEPOINT chime_write',
    rollbackToSavepoint: 'ROLLBACK TO SAVEPOINT chime_write',
    // The job is locked first (compare-and-set on its version); with @drop_planned its planned
    // fires nobody holds (rules.ts isDroppedByChange) are deleted, and when any were, it is no
    // longer completed.
    // What the store keeps (statistics, fire_count, stale_since, prune_after, kept_count) stays
    // as it is; planned fires dropped did not happen: they leave the fire count.
    jobUpdate: `WITH locked AS (
        SELECT id FROM ${s}.jobs WHERE id = @id AND ${SAME_VERSION} FOR NO KEY UPDATE
      ), dropped AS (
        DELETE FROM ${s}.executions e USING locked
        WHERE @drop_planned::boolean AND e.job_id = locked.id AND e.trigger = 'schedule'
          AND e.status = 'scheduled' AND e.attempt = 0 AND e.lease_owner IS NULL AND NOT e.backfill
        RETURNING e.id
      ), unqueued AS (
        DELETE FROM ${s}.work w USING dropped d WHERE w.id = d.id
      ), upd AS (
        UPDATE ${s}.jobs j SET definition = @definition::json, paused = @paused,
          next_fire_at = @next_fire_at, version = @version, created_at = @created_at,
          updated_at = @updated_at, last_outcome = @last_outcome::jsonb,
          stale_after_ms = @stale_after_ms::bigint,
          completed_at = CASE WHEN EXISTS (SELECT 1 FROM dropped) THEN NULL ELSE @completed_at::bigint END,
          fire_count = nullif(greatest(0, coalesce(j.fire_count, 0) - (SELECT count(*) FROM dropped)), 0),
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
    jobRemove: `WITH ${removeJob(s, `id = @id AND ${SAME_VERSION}`)} SELECT id FROM gone`,
    jobsList: jobsList(s),
    jobsListMetadata: jobsListMetadata(s),
  };
}
