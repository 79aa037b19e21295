/**
 * The SQLite store: the embedded default (`./chime.db`), safe for several
 * processes on one host. better-sqlite3 in WAL mode; every write that touches
 * several rows is one `BEGIN IMMEDIATE` transaction, which takes the database's
 * write lock up front, so two processes never interleave a claim, a plan or a
 * fenced write (a waiting writer retries for up to `busy_timeout`).
 *
 * Schema and indexes: `migrations/`. Statements: `statements.ts`.
 */
import Database from 'better-sqlite3';
import { ChimeError, isChimeError } from '../../errors.js';
import type {
  Claim,
  ExecutionRecord,
  ExecutionsListParams,
  FinishRequest,
  JobPlan,
  JobRecord,
  JobsListParams,
  JobWrite,
  LeaseRef,
  RunningMark,
  StartRequest,
  StartResult,
  Store,
  StoreCapabilities,
  StoreUsage,
  ClaimParams,
  TakeOverParams,
} from '../store.js';
import type {
  BeatResult,
  InstanceBeat,
  InstanceInfo,
  InstanceRecord,
  Share,
} from '../instances.js';
import { isPrunable } from '../rules.js';
import {
  TallyBatch,
  advanceJob,
  finishOne,
  insertExecution,
  insertFires,
  markRunning,
  startOne,
  takeOver,
  withJobs,
} from './fire-writes.js';
import { SqliteMaintenance } from './maintenance.js';
import { SqliteRegistry } from './registry.js';
import { shareParams } from '../sql-rows.js';
import { checkMigrated, migrate } from './migrations.js';
import {
  executionFromRow,
  executionFromValues,
  executionParams,
  jobFromRow,
  jobParams,
} from './rows.js';
import {
  defineFunctions,
  prepareStatements,
  type StatementCounter,
  type Statements,
} from './statements.js';

/** Options of {@link sqliteStore}. */
export interface SqliteStoreOptions {
  /** The database file, created when absent (its directory must exist). */
  path: string;
  /**
   * Apply pending migrations at open(); when false, open() only checks the
   * database is up to date (`CHIME_ERR_STORE_SCHEMA_OUTDATED` otherwise).
   * @defaultValue true
   */
  migrate?: boolean;
}

/** How long a writer waits for another process's write lock before failing. */
const BUSY_TIMEOUT_MS = 5_000;
/** Tries of opening a file that other processes are opening too. */
const OPEN_ATTEMPTS = 8;

/** The executions-list cursor when none is given: admits every row. */
const NO_CURSOR = { before_fire_at: Number.MAX_SAFE_INTEGER, before_id: '' };

interface Connection {
  db: Database.Database;
  s: Statements;
  registry: SqliteRegistry;
}

/**
 * A {@link Store} on one SQLite file. Open it before use; each instance holds
 * one connection. Several instances, in one process or many, may share a file.
 */
export class SqliteStore implements Store {
  readonly name = 'sqlite';
  readonly capabilities: StoreCapabilities = { notify: false };
  /** The database file. */
  readonly path: string;
  private readonly migrateAtOpen: boolean;
  private connection: Connection | undefined;
  /** Statements run since the store was made, on all its connections. */
  private readonly counter: StatementCounter = { statements: 0 };
  /** Rows written by the connections already closed. */
  private rowsWrittenBefore = 0;
  /** Pruning and staleness, over the same connection. */
  readonly maintenance = new SqliteMaintenance(() => this.connected());

  constructor(options: SqliteStoreOptions) {
    if (typeof options.path !== 'string' || options.path === '') {
      throw new ChimeError('CHIME_ERR_OPTION_INVALID', 'sqliteStore needs a database file path', {
        path: '/path',
      });
    }
    this.path = options.path;
    this.migrateAtOpen = options.migrate ?? true;
  }

  /** Applies pending migrations (what `chime migrate` runs); returns the versions applied. */
  async migrate(): Promise<number[]> {
    const db = new Database(this.path, { timeout: BUSY_TIMEOUT_MS });
    try {
      db.pragma('journal_mode = WAL');
      return migrate(db, { location: this.path });
    } catch (err) {
      throw isChimeError(err) ? err : unavailable(this.path, err);
    } finally {
      db.close();
    }
  }

  async open(): Promise<void> {
    for (let attempt = 1; !this.connection; attempt++) {
      try {
        this.connection = connect(this.path, this.migrateAtOpen, this.counter);
      } catch (err) {
        // Processes opening one fresh file together can meet SQLITE_BUSY where the busy
        // timeout does not apply (switching to WAL, recovering a WAL): wait and retry, bounded.
        if (attempt >= OPEN_ATTEMPTS || !isBusy(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (!connection?.db.open) return;
    this.rowsWrittenBefore += totalChanges(connection.db);
    connection.db.close();
  }

  async jobGet({ id }: { id: string }): Promise<JobRecord | null> {
    const row = this.statements.jobGet.get({ id });
    return row ? jobFromRow(row) : null;
  }

  async jobsGet({ ids }: { ids: string[] }): Promise<JobRecord[]> {
    if (ids.length === 0) return [];
    const distinct = [...new Set(ids)];
    return this.statements.jobsGet.all({ ids: JSON.stringify(distinct) }).map(jobFromRow);
  }

  async jobsWrite({ writes }: { writes: JobWrite[] }): Promise<number[]> {
    if (writes.length === 0) return [];
    try {
      return this.write((s) => {
        // The statements of jobInsert, jobRemove and jobUpdate, each write in turn; every failure is collected.
        const failed: number[] = [];
        writes.forEach((write, i) => {
          const { job, expectedVersion } = write;
          if (expectedVersion === null) {
            if (s.jobInsert.run(jobParams(job)).changes !== 1) failed.push(i);
            return;
          }
          if (write.remove) {
            const removed = s.jobRemove.run({ id: job.id, expected_version: expectedVersion });
            if (removed.changes !== 1) failed.push(i);
            return;
          }
          const bound = { ...jobParams(job), expected_version: expectedVersion };
          if (s.jobUpdate.run(bound).changes === 0) {
            failed.push(i);
            return;
          }
          const dropped = write.dropPlanned ? s.dropPlanned.run({ job_id: job.id }).changes : 0;
          if (dropped > 0) s.jobReopen.run({ id: job.id, dropped });
        });
        // Throwing rolls the whole transaction back: all of the writes or none.
        if (failed.length > 0) throw new WritesRejected(failed);
        return [];
      });
    } catch (err) {
      if (err instanceof WritesRejected) return err.failed;
      throw err;
    }
  }

  async jobDelete({ id }: { id: string }): Promise<boolean> {
    // One statement: the foreign key's ON DELETE CASCADE removes the executions with it.
    return this.statements.jobDelete.run({ id }).changes === 1;
  }

  async jobsList(params: JobsListParams): Promise<JobRecord[]> {
    const rows = this.statements.jobsList.all({
      after_id: params.afterId ?? '',
      paused: params.paused === undefined ? null : params.paused ? 1 : 0,
      target_type: params.targetType ?? null,
      metadata: JSON.stringify(params.metadata ?? {}),
      limit: params.limit,
    });
    return rows.map(jobFromRow);
  }

  async nextDueAt(): Promise<number | null> {
    const row = this.statements.nextDueAt.get({});
    const due = [row?.next_fire_at, row?.run_at].filter((t): t is number => typeof t === 'number');
    return due.length === 0 ? null : Math.min(...due);
  }

  async jobsDue(params: { before: number; limit: number; share?: Share }): Promise<JobRecord[]> {
    const { before, limit, share } = params;
    return this.statements.jobsDue.all({ before, limit, ...shareParams(share) }).map(jobFromRow);
  }

  async jobsAdvance({
    plans,
  }: {
    plans: JobPlan[];
  }): Promise<{ claims: Claim[]; applied: string[] }> {
    return this.write((s) => {
      const claims: Claim[] = [];
      const applied: string[] = [];
      for (const plan of plans) {
        if (!advanceJob(s, plan)) continue;
        applied.push(plan.jobId);
        claims.push(...insertFires(s, plan));
      }
      return { claims, applied };
    });
  }

  async executionInsert({ execution }: { execution: ExecutionRecord }): Promise<void> {
    if (!isPrunable(execution)) {
      this.statements.executionInsert.get(executionParams(execution));
      return;
    }
    this.write((s) => insertExecution(s, execution));
  }

  async executionsInsert({ executions }: { executions: ExecutionRecord[] }): Promise<string[]> {
    if (executions.length === 0) return [];
    return this.write((s) =>
      executions.filter((execution) => insertExecution(s, execution)).map((e) => e.id),
    );
  }

  async executionGet({ id }: { id: string }): Promise<ExecutionRecord | null> {
    const row = this.statements.executionGet.get({ id });
    return row ? executionFromRow(row) : null;
  }

  async executionsList(params: ExecutionsListParams): Promise<ExecutionRecord[]> {
    const { before } = params;
    const cursor = before ? { before_fire_at: before.fireAt, before_id: before.id } : NO_CURSOR;
    const bound = { ...cursor, status: params.status ?? null, limit: params.limit };
    const s = this.statements;
    const rows =
      params.jobId === undefined
        ? s.executionsListAll.all(bound)
        : s.executionsListJob.all({ ...bound, job_id: params.jobId });
    return rows.map(executionFromRow);
  }

  async executionsClaim(params: ClaimParams): Promise<Claim[]> {
    return this.write((s) => {
      const { owner, now, until, leaseMs, limit } = params;
      const bound = { owner, now, until, lease_ms: leaseMs, limit, ...shareParams(params.share) };
      const rows = s.executionsClaim.all(bound);
      // RETURNING yields rows in no promised order: restore the claim's.
      rows.sort((a, b) => a[3] - b[3]);
      return withJobs(s, rows.map(executionFromValues));
    });
  }

  async executionsTakeOver(params: TakeOverParams): Promise<Claim[]> {
    return this.write((s) => takeOver(s, params));
  }

  async executionsStart({ starts }: { starts: StartRequest[] }): Promise<StartResult[]> {
    return this.write((s) => starts.map((start) => startOne(s, start)));
  }

  async executionsMarkRunning({ marks }: { marks: RunningMark[] }): Promise<string[]> {
    return this.write((s) => markRunning(s, marks));
  }

  async executionsFinish({ finishes }: { finishes: FinishRequest[] }): Promise<boolean[]> {
    return this.write((s) => {
      const tallies = new TallyBatch();
      const finished = finishes.map((finish) => finishOne(s, finish, tallies));
      tallies.apply(s);
      return finished;
    });
  }

  async leasesRenew(params: {
    owner: string;
    leases: LeaseRef[];
    until: number;
  }): Promise<string[]> {
    return this.write((s) =>
      params.leases
        .filter(
          (lease) =>
            s.leaseRenew.run({
              id: lease.id,
              lease_token: lease.leaseToken,
              owner: params.owner,
              until: params.until,
            }).changes === 1,
        )
        .map((lease) => lease.id),
    );
  }

  async leasesRelease({ leases }: { leases: LeaseRef[] }): Promise<void> {
    this.write((s) => {
      for (const lease of leases) {
        s.leaseRelease.run({ id: lease.id, lease_token: lease.leaseToken });
      }
    });
  }

  async instanceRegister(params: {
    instance: InstanceInfo;
    now: number;
    deadBefore: number;
  }): Promise<void> {
    this.connected().registry.register(params);
  }

  async instanceBeat(beat: InstanceBeat): Promise<BeatResult> {
    return this.connected().registry.beat(beat);
  }

  async instanceDeregister(params: { id: string; now: number }): Promise<void> {
    this.connected().registry.deregister(params);
  }

  async instancesList(): Promise<InstanceRecord[]> {
    return this.connected().registry.list();
  }

  /** Statements run and rows written by this store's connections since it was made. */
  usage(): StoreUsage {
    const open = this.connection?.db;
    const rowsWritten = this.rowsWrittenBefore + (open?.open ? totalChanges(open) : 0);
    return { statements: this.counter.statements, rowsWritten };
  }

  private get statements(): Statements {
    return this.connected().s;
  }

  /** Runs `fn` in one `BEGIN IMMEDIATE` transaction: all of it commits, or none of it. */
  private write<R>(fn: (s: Statements) => R): R {
    const { db, s } = this.connected();
    return db.transaction(() => fn(s)).immediate();
  }

  private connected(): Connection {
    if (!this.connection) {
      throw new ChimeError(
        'CHIME_ERR_STORE_UNAVAILABLE',
        `the SQLite store ${this.path} is not open: call open() first`,
      );
    }
    return this.connection;
  }
}

/** Thrown inside {@link SqliteStore.jobsWrite}'s transaction to roll it back; never escapes it. */
class WritesRejected extends Error {
  constructor(readonly failed: number[]) {
    super(`job writes ${failed.join(', ')} could not be applied`);
  }
}

/** Creates a SQLite store on one file, e.g. `sqliteStore({ path: './chime.db' })`. */
export function sqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}

/** Opens the file, sets the connection up and brings its schema up to date. */
function connect(path: string, migrateAtOpen: boolean, counter: StatementCounter): Connection {
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  } catch (err) {
    throw unavailable(path, err);
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    defineFunctions(db);
    if (migrateAtOpen) migrate(db, { location: path });
    else checkMigrated(db, { location: path });
    return { db, s: prepareStatements(db, counter), registry: new SqliteRegistry(db, counter) };
  } catch (err) {
    db.close();
    throw isChimeError(err) ? err : unavailable(path, err);
  }
}

/** Rows inserted, updated or deleted on this connection since it opened. */
function totalChanges(db: Database.Database): number {
  return (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
}

/** True when opening failed because another connection held a lock. */
function isBusy(err: unknown): boolean {
  const cause = err instanceof ChimeError ? err.cause : err;
  return /^SQLITE_BUSY/.test(String((cause as { code?: unknown } | undefined)?.code ?? ''));
}

function unavailable(path: string, cause: unknown): ChimeError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new ChimeError(
    'CHIME_ERR_STORE_UNAVAILABLE',
    `cannot open the SQLite database ${path}: ${reason}`,
    { cause },
  );
}
