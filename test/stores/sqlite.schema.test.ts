/**
 * The SQLite store's schema as its queries meet it: the query plans that keep
 * the due, claim, take-over, history, pruning and staleness queries off
 * full-table scans and whole sorts, and how payloads are stored.
 */
import type Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import type { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import {
  EXECUTIONS_CLAIM,
  EXECUTIONS_EXPIRED,
  JOBS_DUE,
  JOBS_STALE,
  JOBS_TO_PRUNE,
  PRUNE_AGED,
  PRUNE_BEYOND,
  PRUNE_BOUNDARY,
  PRUNE_OLDEST,
  SQL,
} from '../../src/stores/sqlite/statements.js';
import { insertJob } from '../helpers/jobs.js';
import { T0, makeExecutionRecord, makeJobRecord } from './records.js';
import { sqliteStores } from './sqlite-fixture.js';

describe('sqlite store schema', () => {
  const { openStore, openRaw } = sqliteStores();

  /** A history as the due queries meet it: mostly finished work, a little due, a few leases. */
  async function seedHistory(store: SqliteStore): Promise<void> {
    for (let j = 0; j < 20; j++) {
      const job = makeJobRecord({
        paused: j % 5 === 0,
        nextFireAt: j % 4 === 0 ? null : T0 + j,
        pruneAfter: j % 3 === 0 ? T0 + j : null,
        staleAfterMs: j % 2 === 0 ? 3_600_000 : null,
        staleSince: j % 4 === 0 ? T0 : null,
      });
      await insertJob(store, job);
      for (let i = 0; i < 50; i++) {
        const due = i === 0;
        const held = i === 1 && j % 2 === 0;
        const execution = makeExecutionRecord({
          jobId: job.id,
          fireAt: T0 - i * 60_000,
          status: due || held ? 'scheduled' : 'succeeded',
          finishedAt: due || held ? null : T0 - i * 60_000 + 500,
          ...(held ? { leaseOwner: 'x', leaseUntil: T0 + 30_000, leaseToken: 1 } : {}),
        });
        await store.executionInsert({ execution });
      }
    }
  }

  describe('schema', () => {
    test('the due, claim and take-over queries are served by their indexes', async () => {
      const store = await openStore();
      await seedHistory(store);
      const db = openRaw();
      const share = { share_from: 0, share_to: 32_768, others_before: T0 - 1_000 };
      const params = {
        before: T0,
        limit: 10,
        owner: 'o',
        now: T0,
        until: T0,
        lease_ms: 1000,
        ...share,
      };
      const listParams = {
        job_id: 'j',
        status: null,
        before_fire_at: T0,
        before_id: '',
        limit: 10,
      };
      // Once with the planner's defaults, once with statistics of a realistic table.
      for (const analyzed of [false, true]) {
        if (analyzed) db.exec('ANALYZE');
        expect(plan(db, JOBS_DUE, params)).toContain('USING INDEX jobs_due');
        expect(plan(db, EXECUTIONS_CLAIM, params)).toContain('USING INDEX executions_claimable');
        expect(plan(db, EXECUTIONS_EXPIRED, params)).toContain('USING INDEX executions_leased');
        // A job's history by its index, only the executions of one instant sorted by id.
        expect(plan(db, SQL.executionsListJob, listParams)).toMatch(
          /INDEX executions_job_fire \(job_id=\? AND fire_at<\?\)\nUSE TEMP B-TREE FOR LAST TERM/,
        );
        // All executions newest first: the index walked backwards, nothing sorted.
        expect(plan(db, SQL.executionsListAll, listParams)).toContain('executions_recent');
        expect(plan(db, SQL.executionsListAll, listParams)).not.toContain('TEMP B-TREE');
        for (const backfill of [0, 1])
          expect(plan(db, SQL.unfinishedBefore, { job_id: 'j', fire_at: T0, backfill })).toContain(
            'executions_job_fire',
          );
        expect(plan(db, SQL.dropPlanned, { job_id: 'j' })).toContain('executions_job_fire');
        expect(plan(db, SQL.jobsGet, { ids: '["a","b"]' })).toMatch(/SEARCH jobs .*\(id=\?\)/);
      }
    });

    test('the pruning and staleness queries are served by their indexes', async () => {
      const store = await openStore();
      await seedHistory(store);
      const db = openRaw();
      const job = { job_id: 'j', limit: 10 };
      for (const analyzed of [false, true]) {
        if (analyzed) db.exec('ANALYZE');
        expect(plan(db, JOBS_TO_PRUNE, { now: T0, limit: 10 })).toContain('USING INDEX jobs_prune');
        expect(plan(db, JOBS_STALE, { now: T0, limit: 10 })).toContain('USING INDEX jobs_stale');
        expect(plan(db, SQL.jobMarkStale, { id: 'j', now: T0 })).toMatch(/SEARCH jobs .*\(id=\?\)/);
        expect(plan(db, PRUNE_BOUNDARY, { ...job, keep_last: 5 })).toContain(
          'INDEX executions_job_fire (job_id=?)',
        );
        expect(plan(db, PRUNE_BEYOND, { ...job, fire_at: T0, id: 'x' })).toContain(
          'INDEX executions_job_fire (job_id=? AND fire_at<?)',
        );
        expect(plan(db, PRUNE_AGED, { ...job, cutoff: T0 })).toContain(
          'INDEX executions_prunable_age (job_id=? AND finished_at<?)',
        );
        expect(plan(db, PRUNE_OLDEST, job)).toContain('INDEX executions_prunable_age');
        expect(plan(db, SQL.pruneDelete, { ids: '["a","b"]' })).toMatch(
          /executions USING .*\(id=\?\)/,
        );
        const tally = {
          id: 'j',
          at: T0,
          prune_at: T0,
          keep_last: 1,
          max_age_ms: 1,
          prune_delay_ms: 1,
          last_outcome: null,
          succeeded: 1,
          failed: 0,
          missed: 0,
          skipped: 0,
          last_fire_at: T0,
          last_success_at: T0,
          last_failure_at: null,
          fresh: 1,
          kept: 1,
          prunable: 1,
        };
        expect(plan(db, SQL.jobTally, tally)).toMatch(/SEARCH jobs USING .*\(id=\?\)/);
      }
    });

    test('an absent payload is NULL, a JSON null payload is the text null', async () => {
      const store = await openStore();
      const job = makeJobRecord();
      await insertJob(store, job);
      const absent = makeExecutionRecord({ jobId: job.id, trigger: 'manual' });
      const jsonNull = makeExecutionRecord({ jobId: job.id, trigger: 'manual', payload: null });
      await store.executionInsert({ execution: absent });
      await store.executionInsert({ execution: jsonNull });
      const read = openRaw().prepare<[string], { payload: string | null }>(
        'SELECT payload FROM executions WHERE id = ?',
      );
      expect(read.get(absent.id)).toEqual({ payload: null });
      expect(read.get(jsonNull.id)).toEqual({ payload: 'null' });
    });
  });
});

/** The query plan's details, one per line. */
function plan(db: Database.Database, sql: string, params: Record<string, unknown>): string {
  const rows = db
    .prepare<[Record<string, unknown>], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
    .all(params);
  const details = rows.map((r) => r.detail);
  for (const detail of details) {
    // A plain `SCAN <table>` (no index) reads the whole table.
    expect(detail).not.toMatch(/^SCAN (jobs|executions)$/);
    // A sort of every row found; a job's history sorts only ties (LAST TERM OF ORDER BY).
    const partial = /TEMP B-TREE FOR (LAST TERM|RIGHT PART) OF ORDER BY/;
    expect(detail.replace(partial, '')).not.toMatch(/TEMP B-TREE/);
  }
  return details.join('\n');
}
