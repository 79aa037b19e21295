/**
 * Migration 12: an execution's attempts as `json` text (issue 16). Frozen once shipped.
 *
 * `attempts` was JSONB, which stores each number of an attempt (`[attempt,
 * owner, startedAt, finishedAt, outcome]`, `attempt-text.ts`) as a numeric
 * of ~12 B: a quick fire's one attempt took 99 B. As `json` the column keeps
 * the compact text the store writes, 67 B: that much less in every finished
 * execution kept, and in the finish that appends it. The store never queries
 * inside it; a start or a finish appends to the text (`lease-sql.ts`).
 *
 * The ALTER rewrites `executions` and rebuilds its indexes in this
 * migration's transaction; writes wait for it. Rows converted keep the
 * spacing JSONB prints (`[[1, "a", …]]`); rows written after are compact.
 */
import type { Migration } from '../migrations.js';

const sql = `
ALTER TABLE {{schema}}.executions DROP CONSTRAINT executions_attempts_check,
  ALTER COLUMN attempts TYPE json USING attempts::json,
  ADD CONSTRAINT executions_attempts_check CHECK (json_typeof(attempts) = 'array');
`;

/** Executions' attempts as `json` instead of `jsonb`. */
export const migration012: Migration = { version: 12, name: 'attempts-as-json', sql };
