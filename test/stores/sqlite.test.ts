/**
 * The SQLite store: the conformance suite on a fresh temporary file per test,
 * then what only SQLite has — the migration ledger, the schema-too-new guard,
 * several connections and several processes on one file, its errors. The
 * query plans: `sqlite.schema.test.ts`; migrations on a database with rows:
 * `sqlite.migrations.test.ts`.
 */
import { spawn, type ChildProcessWithoutNullStreams as Child } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { isChimeError } from '../../src/errors.js';
import { MIGRATIONS, migrate } from '../../src/stores/sqlite/migrations.js';
import { sqliteStore, type SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
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
