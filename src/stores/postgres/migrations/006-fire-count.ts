/**
 * Migration 6: a job's fire count (issue 19, `maxFires`). Frozen once shipped.
 *
 * `fire_count` is the number of fires of the job's schedule planned so far
 * (run or missed), advanced by each plan in its compare-and-set. Jobs of a
 * migrated schema count from 0: none of them had a `maxFires` before. A
 * column with a constant default is added without rewriting the table.
 */
import type { Migration } from '../migrations.js';

const sql = `ALTER TABLE {{schema}}.jobs ADD COLUMN fire_count bigint NOT NULL DEFAULT 0;`;

/** The fires of a job's schedule so far, what `maxFires` counts. */
export const migration006: Migration = { version: 6, name: 'fire-count', sql };
