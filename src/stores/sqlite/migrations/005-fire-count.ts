/**
 * Migration 5: a job's fire count (issue 19, `maxFires`). Frozen once shipped.
 *
 * `fire_count` is the number of fires of the job's schedule planned so far
 * (run or missed), advanced by each plan in its compare-and-set. Jobs of a
 * migrated database count from 0: none of them had a `maxFires` before.
 */
import type { Migration } from '../migrations.js';

const sql = `ALTER TABLE jobs ADD COLUMN fire_count INTEGER NOT NULL DEFAULT 0;`;

/** The fires of a job's schedule so far, what `maxFires` counts. */
export const migration005: Migration = { version: 5, name: 'fire-count', sql };
