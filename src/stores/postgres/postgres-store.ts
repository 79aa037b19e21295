/**
 * The Postgres store: many instances on many hosts share one schema. Claims
 * and take-overs are single statements with `FOR UPDATE SKIP LOCKED`;
 * planning steps, fenced starts and finishes are batched with `unnest()` into
 * one statement per batch; `LISTEN/NOTIFY` tells every instance at once about
 * work that became due soon (`capabilities.notify`).
 *
 * Times are the engine's (passed in); the database clock judges nothing but
 * "due soon" for NOTIFY. {@link PostgresStore.clockSkewMs} tells the engine
 * how far its clock is from the database's, so every host can judge lease
 * expiry by the same clock.
 *
 * Schema and indexes: `migrations/`; statements (and their lock order): `sql.ts`;
 * connections and faults: `connection.ts`; the LISTEN client: `notify.ts`.
 */
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
  StoreChange,
  StoreUsage,
  ClaimParams,
  TakeOverParams,
} from '../store.js';
import {
  Database,
  resolveOptions,
  segments,
  type PostgresStoreOptions,
  type Settings,
} from './connection.js';
import type {
  BeatResult,
  InstanceBeat,
  InstanceInfo,
  InstanceRecord,
  Share,
} from '../instances.js';
import { InstanceLocks } from './instance-lock.js';
import { PostgresRegistry } from './registry.js';
import { PostgresMaintenance } from './maintenance.js';
import { writeJobs } from './job-writes.js';
import { applyPlans } from './plan-writes.js';
import { shareParams } from '../sql-rows.js';
import { channelName } from './identifiers.js';
import { PRUNE_DELAY_MS } from '../rules.js';
import { checkMigrated, migrate } from './migrations.js';
import { ChangeListener } from './notify.js';
import {
  claimFromRow,
  executionFromRow,
  finishArrays,
  markArrays,
  fireArrays,
  jobFromRow,
  leaseArrays,
  startArrays,
  type ClaimRow,
  type ExecutionRow,
  type JobRow,
} from './rows.js';
import { statementsFor, type Value } from './sql.js';

export type { PostgresStoreOptions } from './connection.js';

/** The executions-list cursor when none is given: admits every row. */
const NO_CURSOR = { before_fire_at: Number.MAX_SAFE_INTEGER, before_id: '' };

/**
 * What the statements that plan the pruner's looks bind: rules.ts's delay,
 * and the granularity a plan rounds its look down to (`sql.ts` plannedLook):
 * a finish up to that long before its due time still plans a later look.
 */
const PRUNE_PARAMS = { prune_delay_ms: PRUNE_DELAY_MS, prune_granularity_ms: 10_000 } as const;

/**
 * A {@link Store} on one Postgres schema. Open it before use; several
 * instances, in one process or many, may share a schema.
 */
export class PostgresStore implements Store {
  readonly name = 'postgres';
  readonly capabilities: StoreCapabilities = { notify: true, finishLanes: 2 };
  /** The schema holding the store's tables. */
  readonly schema: string;
  private readonly settings: Settings;
  private readonly db: Database;
  private readonly channel: string;
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private opening: Promise<void> | undefined;
  private listener: ChangeListener | undefined;
  private readonly locks: InstanceLocks;
  private readonly registry: PostgresRegistry;
  /** Pruning and staleness, on the same pool. */
  readonly maintenance: PostgresMaintenance;

  constructor(options: PostgresStoreOptions) {
    this.settings = resolveOptions(options);
    this.schema = this.settings.schema;
    this.db = new Database(this.settings, statementsFor(this.schema));
    this.channel = channelName(this.schema);
    this.locks = new InstanceLocks(() => this.db.newClient());
    this.registry = new PostgresRegistry(this.db, this.locks, () => this.notifyParams());
    this.maintenance = new PostgresMaintenance(this.db);
  }

  async open(): Promise<void> {
    this.opening ??= this.connect().catch((err: unknown) => {
      this.opening = undefined;
      throw err;
    });
    return this.opening;
  }

  async close(): Promise<void> {
    await this.opening?.catch(() => undefined);
    this.opening = undefined;
    const pool = this.db.detach();
    const listener = this.listener;
    this.listener = undefined;
    await Promise.all([listener?.stop(), this.locks.close()]);
    if (pool) await this.db.release(pool);
  }

  /**
   * Applies pending migrations — what `chime migrate` runs — and returns the
   * versions applied; works whether the store is open or not.
   * @throws ChimeError `CHIME_ERR_STORE_SCHEMA_TOO_NEW` or `CHIME_ERR_STORE_UNAVAILABLE`
   */
  async migrate(): Promise<number[]> {
    const pool = this.db.current ?? this.db.acquire();
    try {
      return await migrate(pool, { schema: this.schema });
    } catch (err) {
      throw this.db.unavailable('migrate', err);
    } finally {
      if (pool !== this.db.current) await this.db.release(pool);
    }
  }

  /**
   * The database clock minus the local clock, in ms. Of three round trips the
   * shortest wins, and the database's reading is compared with its midpoint.
   * The engine adds it to its own clock so that lease expiry is judged by one
   * clock, the database's, whichever host asks.
   */
  async clockSkewMs(): Promise<number> {
    let best = { rtt: Infinity, skew: 0 };
    for (let sample = 0; sample < 3; sample++) {
      const sent = performance.timeOrigin + performance.now();
      const { rows } = await this.db.query<{ now_ms: number }>('read the clock', 'clock', {}, true);
      const received = performance.timeOrigin + performance.now();
      const midpoint = (sent + received) / 2;
      const rtt = received - sent;
      if (rtt < best.rtt) best = { rtt, skew: (rows[0]?.now_ms ?? midpoint) - midpoint };
    }
    return Math.round(best.skew);
  }

  /**
   * Subscribes to changes made by any instance. The first subscriber starts
   * the LISTEN connection; listeners also hear `{ dueAt: 0 }` whenever it
   * (re)starts listening, since notifications sent meanwhile are lost.
   */
  onChange(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    this.listen();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size > 0 || !this.listener) return;
      void this.listener.stop();
      this.listener = undefined;
    };
  }

  async jobGet({ id }: { id: string }): Promise<JobRecord | null> {
    const { rows } = await this.db.query<JobRow>('read a job', 'jobGet', { id }, true);
    return rows[0] ? jobFromRow(rows[0]) : null;
  }

  async jobsGet({ ids }: { ids: string[] }): Promise<JobRecord[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query<JobRow>('read jobs', 'jobsGet', { ids }, true);
    return rows.map(jobFromRow);
  }

  /** See `job-writes.ts`. */
  jobsWrite({ writes }: { writes: JobWrite[] }): Promise<number[]> {
    return writeJobs(this.db, writes, this.notifyParams());
  }

  async jobDelete({ id }: { id: string }): Promise<boolean> {
    return (await this.db.query('delete a job', 'jobDelete', { id })).rowCount === 1;
  }

  async jobsList(params: JobsListParams): Promise<JobRecord[]> {
    const filtered = Object.keys(params.metadata ?? {}).length > 0;
    const values = {
      after_id: params.afterId ?? '',
      paused: params.paused ?? null,
      target_type: params.targetType ?? null,
      ...(filtered ? { metadata: JSON.stringify(params.metadata) } : {}),
      limit: params.limit,
    };
    const statement = filtered ? 'jobsListMetadata' : 'jobsList';
    const { rows } = await this.db.query<JobRow>('list jobs', statement, values, true);
    return rows.map(jobFromRow);
  }

  async nextDueAt(): Promise<number | null> {
    const what = 'read the next due time';
    const { rows } = await this.db.query<{ due_at: number | null }>(what, 'nextDueAt', {}, true);
    return rows[0]?.due_at ?? null;
  }

  async jobsDue(params: { before: number; limit: number; share?: Share }): Promise<JobRecord[]> {
    const values = { before: params.before, limit: params.limit, ...shareParams(params.share) };
    const { rows } = await this.db.query<JobRow>('read due jobs', 'jobsDue', values, true);
    return rows.map(jobFromRow);
  }

  async jobsAdvance({
    plans,
  }: {
    plans: JobPlan[];
  }): Promise<{ claims: Claim[]; applied: string[] }> {
    return applyPlans(this.db, plans, { ...this.notifyParams(), ...PRUNE_PARAMS });
  }

  async executionInsert({ execution }: { execution: ExecutionRecord }): Promise<void> {
    const values = { ...fireArrays([execution]), ...this.notifyParams() };
    await this.db.query('insert an execution', 'executionInsert', values);
  }

  async executionsInsert({ executions }: { executions: ExecutionRecord[] }): Promise<string[]> {
    if (executions.length === 0) return [];
    const values = { ...fireArrays(executions), ...this.notifyParams() };
    const { rows } = await this.db.query<{ id: string }>(
      'insert executions',
      'executionInsert',
      values,
    );
    const inserted = new Set(rows.map((row) => row.id));
    return executions.map((e) => e.id).filter((id) => inserted.has(id));
  }

  async executionGet({ id }: { id: string }): Promise<ExecutionRecord | null> {
    const what = 'read an execution';
    const { rows } = await this.db.query<ExecutionRow>(what, 'executionGet', { id }, true);
    return rows[0] ? executionFromRow(rows[0]) : null;
  }

  async executionsList(params: ExecutionsListParams): Promise<ExecutionRecord[]> {
    const { before, jobId } = params;
    const cursor = before ? { before_fire_at: before.fireAt, before_id: before.id } : NO_CURSOR;
    const values = { ...cursor, status: params.status ?? null, limit: params.limit };
    const { rows } =
      jobId === undefined
        ? await this.db.query<ExecutionRow>('list executions', 'executionsListAll', values, true)
        : await this.db.query<ExecutionRow>(
            'list executions',
            'executionsListJob',
            { ...values, job_id: jobId },
            true,
          );
    return rows.map(executionFromRow);
  }

  async executionsClaim(params: ClaimParams): Promise<Claim[]> {
    const { owner, now, until, leaseMs, limit } = params;
    const values = { owner, now, until, lease_ms: leaseMs, limit, ...shareParams(params.share) };
    const { rows } = await this.db.query<ClaimRow>('claim executions', 'executionsClaim', values);
    return rows.map(claimFromRow);
  }

  async executionsTakeOver(params: TakeOverParams): Promise<Claim[]> {
    const { owner, now, leaseMs, limit } = params;
    const values = { owner, now, lease_ms: leaseMs, limit };
    const what = 'take over executions';
    const { rows } = await this.db.query<ClaimRow>(what, 'executionsTakeOver', values);
    return rows.map(claimFromRow);
  }

  /**
   * Fenced starts in one statement per batch. The jobs of starts checked for
   * overlap (`unlessOverlapping`) are locked first (in id order) in the same
   * transaction, so two instances starting fires of one job decide one after
   * the other.
   */
  async executionsStart({ starts }: { starts: StartRequest[] }): Promise<StartResult[]> {
    const results: StartResult[] = starts.map(() => 'rejected');
    const parts = segments(starts, (start) => start.id);
    const ending = starts.filter((start) => start.unlessOverlapping).map((start) => start.id);
    const transaction = parts.length > 1 || ending.length > 0;
    await this.db.batch('start executions', transaction, async (run) => {
      results.fill('rejected');
      if (ending.length > 0) await run('startLock', { ids: ending });
      for (const part of parts) {
        type Row = { ord: number; outcome: Exclude<StartResult, 'rejected'> };
        const values = startArrays(part.items);
        const { rows } = await run<Row>('executionsStart', values);
        for (const row of rows) results[part.offset + row.ord - 1] = row.outcome;
      }
    });
    return results;
  }

  async executionsMarkRunning({ marks }: { marks: RunningMark[] }): Promise<string[]> {
    const marked: string[] = [];
    const parts = segments(marks, (mark) => mark.id);
    await this.db.batch('mark executions running', parts.length > 1, async (run) => {
      marked.length = 0;
      for (const part of parts) {
        const { rows } = await run<{ id: string }>('executionsMarkRunning', markArrays(part.items));
        for (const row of rows) marked.push(row.id);
      }
    });
    return marked;
  }

  async executionsFinish({ finishes }: { finishes: FinishRequest[] }): Promise<boolean[]> {
    const results = finishes.map(() => false);
    const parts = segments(finishes, (finish) => finish.id);
    await this.db.batch('finish executions', parts.length > 1, async (run) => {
      results.fill(false);
      for (const part of parts) {
        const values = { ...finishArrays(part.items), ...PRUNE_PARAMS };
        const { rows } = await run<{ ord: number }>('executionsFinish', values);
        for (const row of rows) results[part.offset + row.ord - 1] = true;
      }
    });
    return results;
  }

  async leasesRenew(params: {
    owner: string;
    leases: LeaseRef[];
    until: number;
  }): Promise<string[]> {
    if (params.leases.length === 0) return [];
    const values = { ...leaseArrays(params.leases), owner: params.owner, until: params.until };
    const { rows } = await this.db.query<{ id: string }>('renew leases', 'leasesRenew', values);
    return rows.map((row) => row.id);
  }

  async leasesRelease({ leases }: { leases: LeaseRef[] }): Promise<void> {
    if (leases.length === 0) return;
    const values = { ...leaseArrays(leases), ...this.notifyParams() };
    await this.db.query('release leases', 'leasesRelease', values);
  }

  async instanceRegister(params: {
    instance: InstanceInfo;
    now: number;
    deadBefore: number;
  }): Promise<void> {
    return this.registry.register(params);
  }

  async instanceBeat(beat: InstanceBeat): Promise<BeatResult> {
    return this.registry.beat(beat);
  }

  async instanceDeregister(params: { id: string; now: number }): Promise<void> {
    return this.registry.deregister(params);
  }

  instanceVouched({ id }: { id: string }): boolean {
    return this.registry.vouched(id);
  }

  async instancesList(): Promise<InstanceRecord[]> {
    return this.registry.list();
  }

  usage(): StoreUsage {
    return { statements: this.db.statements };
  }

  private notifyParams(): Record<string, Value> {
    return { channel: this.channel, notify_within_ms: this.settings.notifyWithinMs };
  }

  private async connect(): Promise<void> {
    const pool = this.db.acquire();
    try {
      if (this.settings.migrate) await migrate(pool, { schema: this.schema });
      else await checkMigrated(pool, { schema: this.schema });
    } catch (err) {
      await this.db.release(pool);
      throw this.db.unavailable('open', err);
    }
    this.db.attach(pool);
    this.listen();
  }

  /** Starts the LISTEN client when the store is open and someone listens. */
  private listen(): void {
    if (!this.db.current || this.listener || this.listeners.size === 0) return;
    this.listener = new ChangeListener({
      channel: this.channel,
      newClient: () => this.db.newClient(),
      onChange: (change) => {
        for (const listener of [...this.listeners]) {
          try {
            listener(change);
          } catch {
            // One listener's fault must not keep the others from hearing the change.
          }
        }
      },
    });
    this.listener.start();
  }
}

/** Creates a Postgres store, e.g. `postgresStore({ connectionString, schema: 'chime' })`. */
export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  return new PostgresStore(options);
}
