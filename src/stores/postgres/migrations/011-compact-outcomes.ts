/**
 * Migration 11: a job's last outcome as a JSON array (issue 16). Frozen once shipped.
 *
 * `last_outcome` held `{"status", "executionId", "at", "error"?}`: ~120 B of
 * JSONB in every row of a job that has fired, written again by each finish
 * that sets it. It is now `[status, executionId, at, error?]`, `at` in epoch
 * ms when it is an instant's canonical ISO text (`job-encoding.ts`): ~80 B.
 * A smaller row also leaves its page less often when a finish rewrites it.
 *
 * The UPDATE rewrites the row of every job that has a last outcome, in this
 * migration's transaction; writes wait for it.
 */
import type { Migration } from '../migrations.js';

const CANONICAL = `'^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$'`;

const sql = `
UPDATE {{schema}}.jobs SET last_outcome = jsonb_build_array(
    last_outcome -> 'status', last_outcome -> 'executionId',
    CASE WHEN last_outcome ->> 'at' ~ ${CANONICAL}
      THEN to_jsonb((extract(epoch FROM (last_outcome ->> 'at')::timestamptz) * 1000)::bigint)
      ELSE last_outcome -> 'at' END)
  || CASE WHEN last_outcome ? 'error' THEN jsonb_build_array(last_outcome -> 'error')
    ELSE '[]'::jsonb END
WHERE jsonb_typeof(last_outcome) = 'object';
`;

/** Jobs' last outcomes as `[status, executionId, at, error?]`. */
export const migration011: Migration = { version: 11, name: 'compact-outcomes', sql };
