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
  Retention,
  StartRequest,
  StartResult,
  Store,
  StoreCapabilities,
} from '../store.js';
import type {
  BeatResult,
  InstanceBeat,
  InstanceInfo,
  InstanceRecord,
  Share,
} from '../instances.js';
import { PRUNE_DELAY_MS, isPrunable, pruneAfterPass } from '../rules.js';
import { SqliteRegistry } from './registry.js';
import { shareParams } from '../sql-rows.js';
import { checkMigrated, migrate } from './migrations.js';
import {
  defineFunctions,
  executionFromRow,
  executionParams,
  jobFromRow,
  jobParams,
  jsonOrNull,
  prepareStatements,
  type ExecutionRow,
  type Params,
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
        this.connection = connect(this.path, this.migrateAtOpen);
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
    if (connection?.db.open) connection.db.close();
  }

  async jobGet({ id }: { id: string }): Promise<JobRecord | null> {
    const row = this.statements.jobGet.get({ id });
    return row ? jobFromRow(row) : null;
  }

  async jobInsert({ job }: { job: JobRecord }): Promise<boolean> {
    return this.statements.jobInsert.run(jobParams(job)).changes === 1;
  }

  async jobUpdate(params: {
    job: JobRecord;
    expectedVersion: number;
    dropPlanned: boolean;
  }): Promise<boolean> {
    return this.write((s) => {
      const bound = { ...jobParams(params.job), expected_version: params.expectedVersion };
      if (s.jobUpdate.run(bound).changes === 0) return false;
      if (params.dropPlanned && s.dropPlanned.run({ job_id: params.job.id }).changes > 0) {
        s.jobReopen.run({ id: params.job.id });
      }
      return true;
    });
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
        // The statements of jobInsert and jobUpdate, each write in turn; every failure is collected.
        const failed: number[] = [];
        writes.forEach((write, i) => {
          const { job, expectedVersion } = write;
          if (expectedVersion === null) {
            if (s.jobInsert.run(jobParams(job)).changes !== 1) failed.push(i);
            return;
          }
          const bound = { ...jobParams(job), expected_version: expectedVersion };
          if (s.jobUpdate.run(bound).changes === 0) {
            failed.push(i);
            return;
          }
          if (write.dropPlanned && s.dropPlanned.run({ job_id: job.id }).changes > 0) {
            s.jobReopen.run({ id: job.id });
          }
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

  async jobsToPrune({ now, limit }: { now: number; limit: number }): Promise<JobRecord[]> {
    return this.statements.jobsToPrune.all({ now, limit }).map(jobFromRow);
  }

  async executionsPrune(params: {
    jobId: string;
    retention: Retention;
    now: number;
    limit: number;
    expectedPruneAfter: number | null;
  }): Promise<number> {
    return this.write((s) => pruneJob(s, params));
  }

  async jobsStale({ now, limit }: { now: number; limit: number }): Promise<JobRecord[]> {
    return this.write((s) =>
      s.jobsStale
        .all({ now, limit })
        .map(({ id }) => mustGet(s.jobMarkStale.get({ id, now }), 'job', id)),
    ).map(jobFromRow);
  }

  async executionsClaim(params: {
    owner: string;
    now: number;
    until: number;
    leaseMs: number;
    limit: number;
    share?: Share;
  }): Promise<Claim[]> {
    return this.write((s) => {
      const { owner, now, until, leaseMs, limit } = params;
      const bound = { owner, now, until, lease_ms: leaseMs, limit, ...shareParams(params.share) };
      const rows = s.executionsClaim.all(bound);
      // RETURNING yields rows in no promised order: restore the claim's.
      rows.sort((a, b) => a.run_at - b.run_at);
      return withJobs(s, rows.map(executionFromRow));
    });
  }

  async executionsTakeOver(params: {
    owner: string;
    now: number;
    leaseMs: number;
    limit: number;
  }): Promise<Claim[]> {
    return this.write((s) => {
      const { owner, now, leaseMs, limit } = params;
      const taken: ExecutionRow[] = [];
      for (const row of s.executionsExpired.all({ now, limit })) {
        const attempts = JSON.stringify(attemptsAfterTakeOver(row, now));
        const leaseUntil = Math.max(row.run_at, now) + leaseMs;
        const updated = s.executionTakeOver.get({
          id: row.id,
          owner,
          lease_until: leaseUntil,
          attempts,
        });
        if (updated) taken.push(updated);
      }
      return withJobs(s, taken.map(executionFromRow));
    });
  }

  async executionsStart({ starts }: { starts: StartRequest[] }): Promise<StartResult[]> {
    return this.write((s) => starts.map((start) => startOne(s, start)));
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
function connect(path: string, migrateAtOpen: boolean): Connection {
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
    return { db, s: prepareStatements(db), registry: new SqliteRegistry(db) };
  } catch (err) {
    db.close();
    throw isChimeError(err) ? err : unavailable(path, err);
  }
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

/** The compare-and-set of one plan; true when the job was still as the planner saw it. */
function advanceJob(s: Statements, plan: JobPlan): boolean {
  const result = s.jobAdvance.run({
    id: plan.jobId,
    expected_version: plan.expectedVersion,
    expected_next_fire_at: plan.expectedNextFireAt,
    next_fire_at: plan.nextFireAt,
    completed_at: plan.completedAt,
    last_outcome: plan.lastOutcome === null ? null : JSON.stringify(plan.lastOutcome),
  });
  return result.changes === 1;
}

/**
 * Inserts a plan's fires (a fire that exists is skipped); returns the leased
 * ones as claims, whose executions are the plan's records as inserted (the
 * planner hands them over; reading each row back cost as much as its insert).
 * Missed fires count in the job's statistics, and those that are prunable
 * (all of them) plan the pruner's look, one after the other.
 */
function insertFires(s: Statements, plan: JobPlan): Claim[] {
  const inserted: ExecutionRecord[] = [];
  for (const execution of plan.executions) {
    if (!insertExecution(s, execution)) continue;
    if (isPrunable(execution)) {
      s.jobTally.run(
        Object.assign(
          tally(plan.jobId, execution.finishedAt ?? execution.createdAt, plan.retention),
          { missed: execution.status === 'missed' ? 1 : 0, prunable: 1 },
        ),
      );
    }
    if (execution.leaseOwner !== null) inserted.push(execution);
  }
  return withJobs(s, inserted);
}

/** Inserts one execution, counted among its job's kept ones when prunable; true when inserted. */
function insertExecution(s: Statements, execution: ExecutionRecord): boolean {
  if (s.executionInsert.get(executionParams(execution)) === undefined) return false;
  if (isPrunable(execution)) s.jobKeep.run({ id: execution.jobId });
  return true;
}

/** The parameters of `jobTally` that change nothing, for a job and the instant `at`. */
function tally(jobId: string, at: number, retention: Retention): Params {
  return {
    id: jobId,
    at,
    keep_last: retention.keepLast,
    max_age_ms: retention.maxAgeMs,
    prune_delay_ms: PRUNE_DELAY_MS,
    last_outcome: null,
    succeeded: 0,
    failed: 0,
    missed: 0,
    skipped: 0,
    ended_fire_at: null,
    kept: 0,
    prunable: 0,
  };
}

/**
 * The job tallies of one batch of finishes, merged per job and kind of
 * outcome (a success, a failure, neither), so a batch of many finishes of one
 * job updates its row once per kind instead of once per finish.
 */
class TallyBatch {
  private readonly byKey = new Map<string, Params>();

  add(next: Params): void {
    const key = `${String(next['id'])}\u0000${String(next['succeeded'])}${String(next['failed'])}`;
    const merged = this.byKey.get(key);
    if (!merged) {
      this.byKey.set(key, next);
      return;
    }
    const later = Number(next['at']) >= Number(merged['at']);
    for (const count of ['succeeded', 'failed', 'missed', 'skipped', 'kept'] as const)
      merged[count] = Number(merged[count]) + Number(next[count]);
    merged['prunable'] = Math.max(Number(merged['prunable']), Number(next['prunable']));
    if (next['ended_fire_at'] !== null)
      merged['ended_fire_at'] = Math.max(
        Number(merged['ended_fire_at'] ?? next['ended_fire_at']),
        Number(next['ended_fire_at']),
      );
    if (later) {
      merged['at'] = next['at'] ?? null;
      if (next['last_outcome'] !== null) merged['last_outcome'] = next['last_outcome'] ?? null;
    } else if (merged['last_outcome'] === null) {
      merged['last_outcome'] = next['last_outcome'] ?? null;
    }
  }

  /** Writes the merged tallies, oldest first, so the newest outcome is the job's last. */
  apply(s: Statements): void {
    const all = [...this.byKey.values()].sort((a, b) => Number(a['at']) - Number(b['at']));
    for (const params of all) s.jobTally.run(params);
  }
}

/**
 * One pass of the pruner over a job, inside the caller's transaction: the
 * prunable executions beyond the keepLast newest (skipped when the kept count
 * says there are none) and those aged out, oldest fire first, at most `limit`.
 */
function pruneJob(
  s: Statements,
  params: {
    jobId: string;
    retention: Retention;
    now: number;
    limit: number;
    expectedPruneAfter: number | null;
  },
): number {
  const { jobId, retention, now, limit } = params;
  const job = s.pruneJob.get({ id: jobId });
  if (!job || limit <= 0) return 0;
  const candidates = new Map<string, number>();
  if (job.kept_count > retention.keepLast) {
    const boundary = s.pruneBoundary.get({ job_id: jobId, keep_last: retention.keepLast });
    if (boundary) {
      for (const row of s.pruneBeyond.all({ job_id: jobId, ...boundary, limit }))
        candidates.set(row.id, row.fire_at);
    }
  }
  const cutoff = now - retention.maxAgeMs;
  for (const row of s.pruneAged.all({ job_id: jobId, cutoff, limit }))
    candidates.set(row.id, row.fire_at);
  const doomed = [...candidates]
    .sort(([idA, fireA], [idB, fireB]) => fireA - fireB || (idA < idB ? -1 : 1))
    .slice(0, limit)
    .map(([id]) => id);
  const deleted =
    doomed.length === 0 ? 0 : s.pruneDelete.run({ ids: JSON.stringify(doomed) }).changes;
  const kept = Math.max(0, job.kept_count - deleted);
  let pruneAfter = job.prune_after;
  if (pruneAfter === params.expectedPruneAfter) {
    const oldest = s.pruneOldest.get({ job_id: jobId })?.finished_at ?? null;
    pruneAfter = pruneAfterPass(now, deleted === limit, kept, oldest, retention);
  }
  s.pruneSet.run({ id: jobId, kept_count: kept, prune_after: pruneAfter });
  return deleted;
}

/**
 * Pairs executions with their jobs, reading and parsing each job once: the
 * claims of one job share its record (claims are read, never changed).
 */
function withJobs(s: Statements, executions: ExecutionRecord[]): Claim[] {
  const jobs = new Map<string, JobRecord>();
  return executions.map((execution) => {
    const { jobId } = execution;
    let job = jobs.get(jobId);
    if (!job) {
      job = jobFromRow(mustGet(s.jobGet.get({ id: jobId }), 'job', jobId));
      jobs.set(jobId, job);
    }
    return { execution, job };
  });
}

function mustGet<T>(row: T | undefined, what: string, id: string): T {
  if (row === undefined) {
    throw new Error(`SQLite store: ${what} ${id} vanished inside a transaction`);
  }
  return row;
}

/** A taken-over execution's attempts: a running one's lost attempt is recorded as abandoned. */
function attemptsAfterTakeOver(row: ExecutionRow, now: number): ExecutionRecord['attempts'] {
  const { attempts } = executionFromRow(row);
  if (row.status !== 'running' || row.started_at === null) return attempts;
  const holder = row.lease_owner ?? 'its instance';
  attempts.push({
    attempt: row.attempt,
    owner: row.lease_owner ?? '',
    startedAt: new Date(row.started_at).toISOString(),
    finishedAt: new Date(now).toISOString(),
    outcome: 'abandoned',
    error: { message: `lease of ${holder} expired during the attempt` },
  });
  return attempts;
}

/**
 * One fenced start: rejected unless the lease is held with this token and
 * there is an attempt to start. Without forbidOverlap the fenced UPDATE alone
 * decides; with it, the row is read first to look for earlier unfinished work.
 */
function startOne(s: Statements, start: StartRequest): StartResult {
  if (start.forbidOverlap || start.missBefore !== undefined) {
    const row = s.executionGet.get({ id: start.id });
    if (!row || row.lease_token !== start.leaseToken || row.lease_owner === null) return 'rejected';
    const startable = row.status === 'scheduled' || row.status === 'running';
    if (!startable || row.attempt !== start.attempt - 1) return 'rejected';
    const end = (status: 'skipped' | 'missed') => {
      s.startEnded.run({ id: row.id, status, finished_at: start.startedAt });
      s.jobTally.run(
        Object.assign(tally(row.job_id, start.startedAt, start.retention), {
          [status]: 1,
          kept: 1,
          prunable: 1,
        }),
      );
      return status;
    };
    const planned = row.trigger === 'schedule' && row.status === 'scheduled' && row.attempt === 0;
    if (start.missBefore !== undefined && planned && row.fire_at < start.missBefore)
      return end('missed');
    if (
      start.forbidOverlap &&
      s.unfinishedBefore.get({ job_id: row.job_id, fire_at: row.fire_at })
    ) {
      return end('skipped');
    }
  }
  const started = s.startRunning.run({
    id: start.id,
    lease_token: start.leaseToken,
    attempt: start.attempt,
    started_at: start.startedAt,
  });
  return started.changes === 1 ? 'started' : 'rejected';
}

/**
 * One fenced finish; when accepted, one more statement writes what it does to
 * the job: the last outcome, the statistics of an attempt's final end, and the
 * pruner's next look when the execution became prunable.
 */
function finishOne(s: Statements, finish: FinishRequest, tallies: TallyBatch): boolean {
  const row = s.finish.get({
    id: finish.id,
    from: finish.from,
    lease_token: finish.leaseToken,
    status: finish.status,
    run_at: finish.runAt ?? null,
    attempt: jsonOrNull(finish.attempt),
    result: jsonOrNull(finish.result),
    error: jsonOrNull(finish.error),
    on_failure: finish.onFailure,
    finished_at: finish.finishedAt,
    keep_lease_until: finish.keepLeaseUntil ?? null,
  });
  if (!row) return false;
  const counted =
    finish.from === 'running' && (finish.status === 'succeeded' || finish.status === 'failed');
  // A finish starts from a state that is not prunable (isFinishable): prunable now means it became so.
  const prunable = isPrunable(finish);
  if (!counted && !prunable && !finish.lastOutcome) return true;
  // Object.assign, not a spread: an object spread costs microseconds on Node 20, and this runs per fire.
  tallies.add(
    Object.assign(tally(row.job_id, finish.finishedAt ?? row.fire_at, finish.retention), {
      last_outcome: finish.lastOutcome ? JSON.stringify(finish.lastOutcome) : null,
      succeeded: counted && finish.status === 'succeeded' ? 1 : 0,
      failed: counted && finish.status === 'failed' ? 1 : 0,
      ended_fire_at: counted ? row.fire_at : null,
      kept: prunable ? 1 : 0,
      prunable: prunable ? 1 : 0,
    }),
  );
  return true;
}
