/**
 * The SQLite store: the conformance suite on a fresh temporary file per test,
 * then what only SQLite has — the migration ledger, the schema-too-new guard,
 * several connections and several processes on one file, and the query
 * plans that keep the due, pruning and staleness queries off full-table
 * scans. Migrations on a database with rows: `sqlite.migrations.test.ts`.
 */
import { spawn, type ChildProcessWithoutNullStreams as Child } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { isChimeError } from '../../src/errors.js';
import { MIGRATIONS, migrate } from '../../src/stores/sqlite/migrations.js';
import { sqliteStore, type SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
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
import { describeStoreConformance } from './conformance.js';
import { ledger, removeDatabase, sqliteStores, tempPath } from './sqlite-fixture.js';
import { T0, makeExecutionRecord, makeJobRecord } from './records.js';
import { insertJob } from '../helpers/jobs.js';
import { finish, leased } from './conformance/fixture.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const STORE_MODULE = pathToFileURL(join(REPO, 'src/stores/sqlite/index.ts')).href;

describeStoreConformance('sqlite', async () => {
  const path = tempPath();
  return {
    store: sqliteStore({ path }),
    cleanup: () => removeDatabase(path),
    durable: true,
    reopen: async () => sqliteStore({ path }),
  };
});

describe('sqlite store', () => {
  const { path: dbPath, makeStore, openStore, openRaw } = sqliteStores();

  /** Jobs with `count` planned fires due at T0 - i. */
  async function seedFires(store: SqliteStore, count: number): Promise<string[]> {
    const job = makeJobRecord();
    await insertJob(store, job);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const execution = makeExecutionRecord({ jobId: job.id, fireAt: T0 + i, runAt: T0 - i });
      await store.executionInsert({ execution });
      ids.push(execution.id);
    }
    return ids;
  }

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

  test("refuses an end naming another job than its execution's (it counts the end in that job), writing nothing", async () => {
    const store = await openStore();
    const job = makeJobRecord();
    const other = makeJobRecord();
    await insertJob(store, job);
    await insertJob(store, other);
    const e = makeExecutionRecord({ jobId: job.id, ...leased('me', 1) });
    await store.executionInsert({ execution: e });
    const ends = [
      finish({ ...e, jobId: other.id }),
      finish({ ...e, jobId: other.id }, { attempt: undefined, status: 'missed' }),
    ];
    for (const end of ends)
      expect(await store.executionsFinish({ finishes: [end] })).toEqual([false]);
    expect(await store.executionGet({ id: e.id })).toEqual(e);
    expect((await store.jobGet({ id: other.id }))?.stats).toEqual(other.stats);
    expect(await store.executionsFinish({ finishes: [finish(e)] })).toEqual([true]);
  });

  describe('migrations', () => {
    test('the ledger holds one row per migration, and reopening applies none again', async () => {
      const store = await openStore();
      await store.close();
      const db = openRaw();
      const first = ledger(db);
      expect(first).toEqual(
        MIGRATIONS.map((m) => ({
          version: m.version,
          name: m.name,
          applied_at: expect.any(Number),
        })),
      );

      await openStore();
      expect(ledger(db)).toEqual(first);
      expect(migrate(db, { location: dbPath() })).toEqual([]);
      expect(ledger(db)).toEqual(first);
    });

    test('a database whose schema is newer than the code is refused with CHIME_ERR_STORE_SCHEMA_TOO_NEW', async () => {
      const store = await openStore();
      await store.close();
      openRaw()
        .prepare(
          "INSERT INTO chime_migrations (version, name, applied_at) VALUES (999, 'future', 0)",
        )
        .run();

      const newer = makeStore();
      const error: unknown = await newer.open().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isChimeError(error, 'CHIME_ERR_STORE_SCHEMA_TOO_NEW')).toBe(true);
      expect(String(error)).toMatch(new RegExp(`schema version 999.*up to ${MIGRATIONS.length}:`));
      await expect(newer.jobGet({ id: 'x' })).rejects.toMatchObject({
        code: 'CHIME_ERR_STORE_UNAVAILABLE',
      });
    });

    test('migrate: false refuses an unmigrated file, and migrate() brings it up to date', async () => {
      const lazy = makeStore({ migrate: false });
      await expect(lazy.open()).rejects.toMatchObject({ code: 'CHIME_ERR_STORE_SCHEMA_OUTDATED' });
      expect(await lazy.migrate()).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await lazy.migrate()).toEqual([]);
      await lazy.open();
      expect(await lazy.jobGet({ id: 'nothing' })).toBeNull();
      await lazy.close();
    });

    test('processes migrating one fresh file at once apply each migration exactly once', async () => {
      const results = await runProcesses(4, dbPath(), 'migrate');
      expect(results).toHaveLength(4);
      const db = openRaw();
      expect(ledger(db)).toHaveLength(MIGRATIONS.length);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    });
  });

  describe('several connections on one file', () => {
    test('two stores claiming at once never get the same execution', async () => {
      const a = await openStore();
      const b = await openStore();
      const all = await seedFires(a, 200);
      const claimAll = async (store: SqliteStore, owner: string) => {
        const got: string[] = [];
        // Bounded: a store that hands work out twice must fail, not spin.
        for (let round = 0; round <= all.length; round++) {
          const claims = await store.executionsClaim({
            owner,
            now: T0,
            until: T0,
            leaseMs: 30_000,
            limit: 7,
          });
          if (claims.length === 0) return got;
          got.push(...claims.map((c) => c.execution.id));
        }
        throw new Error('claims never ran dry');
      };
      const [fromA, fromB] = await Promise.all([claimAll(a, 'a'), claimAll(b, 'b')]);
      expect(fromA.length).toBeGreaterThan(0);
      expect(fromB.length).toBeGreaterThan(0);
      expect(new Set([...fromA, ...fromB]).size).toBe(all.length);
      expect([...fromA, ...fromB].sort()).toEqual([...all].sort());
    });

    test('processes claiming from one file never get the same execution', async () => {
      const store = await openStore();
      const all = await seedFires(store, 300);
      const results = await runProcesses(4, dbPath(), 'claim');
      const claimed = results.flat();
      expect(new Set(claimed).size).toBe(claimed.length);
      expect([...claimed].sort()).toEqual([...all].sort());
      expect(results.filter((ids) => ids.length > 0).length).toBeGreaterThan(1);
    });
  });

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

  describe('errors', () => {
    test('methods of a store that is not open fail with CHIME_ERR_STORE_UNAVAILABLE', async () => {
      const store = makeStore();
      await expect(store.jobsDue({ before: T0, limit: 1 })).rejects.toMatchObject({
        code: 'CHIME_ERR_STORE_UNAVAILABLE',
      });
      await store.open();
      await store.close();
      await expect(store.executionGet({ id: 'x' })).rejects.toMatchObject({
        code: 'CHIME_ERR_STORE_UNAVAILABLE',
      });
    });

    test('a file that cannot be opened fails open() with CHIME_ERR_STORE_UNAVAILABLE naming it', async () => {
      const missing = join(tmpdir(), `chime-missing-${randomUUID()}`, 'chime.db');
      const error = await sqliteStore({ path: missing })
        .open()
        .catch((err: unknown) => err);
      expect(isChimeError(error, 'CHIME_ERR_STORE_UNAVAILABLE')).toBe(true);
      expect(String(error)).toContain(missing);
    });

    test('an empty path is refused', () => {
      expect(() => sqliteStore({ path: '' })).toThrow(
        expect.objectContaining({ code: 'CHIME_ERR_OPTION_INVALID' }),
      );
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

/**
 * Runs `count` node processes on one database file, started together: each
 * opens a store once every process is ready (so migrations race), and in
 * `claim` mode then claims until nothing is left. Resolves with each process's
 * claimed execution ids.
 */
async function runProcesses(
  count: number,
  path: string,
  mode: 'migrate' | 'claim',
): Promise<string[][]> {
  const children = Array.from({ length: count }, (_, i) =>
    spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
      cwd: REPO,
      env: {
        ...process.env,
        CHIME_DB: path,
        CHIME_OWNER: `process-${i}`,
        CHIME_MODE: mode,
        CHIME_MODULE: STORE_MODULE,
      },
    }),
  );
  const outputs = children.map((child) => collect(child));
  await Promise.all(children.map((child) => waitForLine(child, 'ready')));
  for (const child of children) child.stdin.end('go\n');
  return Promise.all(outputs);
}

const CHILD = `
const { sqliteStore } = await import(process.env.CHIME_MODULE);
const store = sqliteStore({ path: process.env.CHIME_DB });
// Opened before the start, so all claim at once (one that opened late under load found
// nothing left; migrate mode: every process migrates at once).
if (process.env.CHIME_MODE === 'claim') await store.open();
console.log('ready');
await new Promise((resolve) => process.stdin.once('data', resolve));
await store.open();
const claimed = [];
for (let round = 0; process.env.CHIME_MODE === 'claim' && round < 10000; round++) {
  const claims = await store.executionsClaim({
    owner: process.env.CHIME_OWNER, now: ${T0}, until: ${T0}, leaseMs: 30000, limit: 5,
  });
  if (claims.length === 0) break;
  for (const c of claims) claimed.push(c.execution.id);
}
await store.close();
console.log('result ' + JSON.stringify(claimed));
`;

function waitForLine(child: Child, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.split('\n').includes(line)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before "${line}"`)));
  });
}

function collect(child: Child): Promise<string[]> {
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const result = out.split('\n').find((l) => l.startsWith('result '));
      if (code !== 0 || !result) return reject(new Error(`child failed (${code}): ${err}`));
      resolve(JSON.parse(result.slice('result '.length)) as string[]);
    });
  });
}
