import { hostname } from 'node:os';
import Type, { type TSchema } from 'typebox';
import { ChimeError } from '../errors.js';
import { Engine, type EngineStats } from '../engine/engine.js';
import {
  SchedulerEmitter,
  type SchedulerEventName,
  type SchedulerEvents,
} from '../engine/events.js';
import { POLICY_DEFAULTS, type ResolvedPolicies } from '../engine/policies.js';
import { parseDuration } from '../model/duration.js';
import { clockSkewMonitorFor, skewedClock, type ClockSkewMonitor } from '../engine/skewed-clock.js';
import type { Executor } from '../executors/executor.js';
import { HandlerRegistry, type Handler } from '../executors/handler/handler-executor.js';
import { builtinExecutors, type Target } from '../executors/builtin.js';
import type { Execution, ExecutionStatus } from '../model/execution.js';
import type { Job as JobOf, JobDefinition as JobDefinitionOf } from '../model/job.js';
import { jobDefinitionSchema } from '../model/job.js';
import type { Schedule } from '../model/schedule.js';
import { JobValidator } from './validate-job.js';
import { toExecution, toInstance, toJob } from '../stores/views.js';
import type { Instance } from '../model/instance.js';
import { nextFireTimes, type FirePreview } from '../schedules/preview.js';
import type { JobRecord, JobWrite } from '../stores/store.js';
import { VERSION } from '../version.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { withPaused } from './job-records.js';
import { conflict, notFound } from './job-errors.js';
import { recordPause } from './pause-record.js';
import { JobBatches, MAX_CAS_ROUNDS } from './job-batches.js';
import type { ApplyOptions, ApplyReport } from './apply.js';
import { checkSelector, type Selector } from '../model/selector.js';
import type { CustomScheduleFn } from '../schedules/custom.js';
import { executorMap } from './executor-map.js';
import {
  APPLY_CHECK,
  BACKFILL_CHECK,
  CLEAR_CHECK,
  DUE_JOBS_CHECK,
  LIST_EXECUTIONS_CHECK,
  LIST_JOBS_CHECK,
  STOP_CHECK,
} from './checks.js';
import { backfill, type BackfillParams, type BackfillResult } from './backfill.js';
import { newExecution } from '../stores/records.js';
import { resolveOptions, type ResolvedOptions, type SchedulerOptions } from './options.js';

/** A job definition as the library takes it: its targets are built-in ones (or a custom executor's, cast). */
export type JobDefinition = JobDefinitionOf<Target>;

/** A stored job as the library returns it. */
export type Job = JobOf<Target>;

/** A page of a listing; pass `nextCursor` back as `cursor` for the next page (null: no more). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Filter and paging of {@link Scheduler.listJobs}. */
export interface ListJobsParams {
  /** Exact matches on metadata, all of which must hold. */
  metadata?: Record<string, string>;
  paused?: boolean;
  /** Only jobs whose target has this type. */
  targetType?: string;
  /** @defaultValue 100 (at most 1000) */
  limit?: number;
  cursor?: string;
}

/** Filter and paging of {@link Scheduler.listExecutions} (newest first). */
export interface ListExecutionsParams {
  jobId?: string;
  status?: ExecutionStatus;
  /** @defaultValue 100 (at most 1000) */
  limit?: number;
  cursor?: string;
}

/** What {@link Scheduler.clearJobs} removed (or, with `dryRun`, would remove): ids in order. */
export interface ClearReport {
  dryRun: boolean;
  remove: string[];
}

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/** A scheduler's state and load (see {@link Scheduler.status}). */
export interface SchedulerStatus extends EngineStats {
  state: State;
  instanceId: string;
  /**
   * The store's clock minus the local clock, in ms, as last measured (at
   * start and every minute); the engine runs on the local clock plus this.
   * 0 when the store has no clock of its own (memory, SQLite).
   */
  clockSkewMs: number;
}

/**
 * The embeddable scheduler. Create it with {@link createScheduler}, register
 * handlers, `start()`, declare jobs, `stop()`. Calls made before `start()` are
 * validated at once and applied when it has started.
 */
export class Scheduler {
  private readonly options: ResolvedOptions;
  private readonly events = new SchedulerEmitter();
  private readonly handlers = new HandlerRegistry();
  private readonly executors: Map<string, Executor>;
  /** The custom schedules jobs may name, by name (`schedule()`). */
  private readonly customs = new Map<string, CustomScheduleFn>();
  private readonly validator: JobValidator<Target>;
  /** The policies of jobs that name none: {@link POLICY_DEFAULTS} with this scheduler's retention. */
  private readonly policyDefaults: Readonly<ResolvedPolicies>;
  private readonly batches: JobBatches;
  private engine: Engine | undefined;
  private state: State = 'new';
  private readonly started: Promise<void>;
  private markStarted!: () => void;
  private markFailed!: (err: unknown) => void;
  private unsubscribe: (() => void) | undefined;
  private skew: ClockSkewMonitor | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: SchedulerOptions = {}) {
    this.options = resolveOptions(options);
    const builtin = builtinExecutors({ ...this.options, handlers: this.handlers });
    this.executors = executorMap(builtin, this.options.executors);
    const retention = this.options.retention;
    this.policyDefaults = Object.freeze({
      ...POLICY_DEFAULTS,
      keepLast: retention.keepLast ?? POLICY_DEFAULTS.keepLast,
      maxAgeMs:
        retention.maxAge === undefined
          ? POLICY_DEFAULTS.maxAgeMs
          : parseDuration(retention.maxAge, '/retention/maxAge'),
    });
    this.validator = new JobValidator<Target>(
      this.executors,
      { maxPayloadBytes: this.options.maxPayloadBytes },
      this.customs,
    );
    this.batches = new JobBatches({
      store: this.options.store,
      validator: this.validator,
      targetSchema: this.schemas().target,
      policyDefaults: this.policyDefaults,
      customs: this.customs,
      now: () => this.now(),
      ready: () => this.ready(),
      written: (writes) => this.written(writes),
    });
    this.started = new Promise<void>((resolve, reject) => {
      this.markStarted = resolve;
      this.markFailed = reject;
    });
    this.started.catch(() => undefined);
  }

  /** Whether it runs, and what this instance holds right now. */
  status(): SchedulerStatus {
    const stats = this.engine?.stats() ?? { waiting: 0, queued: 0, running: 0, held: 0 };
    return {
      state: this.state,
      instanceId: this.options.instanceId,
      ...stats,
      clockSkewMs: this.skew?.current ?? 0,
    };
  }

  /** This instance's id (in leases, logs and attempt records). */
  get instanceId(): string {
    return this.options.instanceId;
  }

  /**
   * Registers a custom schedule kind, used as `{ kind: 'custom', name, params }`
   * (`custom(name, params)`): `fn(after, params)` answers the first fire
   * strictly after `after`, or null when there is none. Register it before
   * jobs that name it are declared, and in every instance that runs them.
   */
  schedule(name: string, fn: CustomScheduleFn): this {
    if (typeof name !== 'string' || name === '' || typeof fn !== 'function') {
      throw new ChimeError(
        'CHIME_ERR_INVALID_INPUT',
        'schedule(name, fn) takes a non-empty name and a function',
        { path: '/name' },
      );
    }
    this.customs.set(name, fn);
    return this;
  }

  /** Registers the function that runs handler targets naming `name`. */
  handle(name: string, fn: Handler): this {
    this.handlers.handle(name, fn);
    return this;
  }

  /** Sets the function for handler targets that name no registered handler. */
  setHandler(fn: Handler): this {
    this.handlers.setFallback(fn);
    return this;
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends SchedulerEventName>(
    event: E,
    listener: (payload: SchedulerEvents[E]) => void,
  ): () => void {
    return this.events.on(event, listener);
  }

  /** Opens the store (running its migrations) and starts firing. Idempotent. */
  async start(): Promise<void> {
    if (this.state !== 'new') return this.started;
    this.state = 'starting';
    this.starting = this.open();
    return this.starting;
  }

  private async open(): Promise<void> {
    const { store, clock, logger } = this.options;
    try {
      await store.open();
    } catch (err) {
      this.state = 'stopped';
      this.markFailed(err);
      throw err;
    }
    const skew = clockSkewMonitorFor(store, clock, logger);
    this.skew = skew;
    await skew?.measure();
    if (this.state !== 'starting') {
      // stop() was called while the store opened: never start the engine.
      await store.close();
      return;
    }
    const settings = {
      ...this.options,
      prefetch: this.options.prefetch,
      policyDefaults: this.policyDefaults,
      customSchedules: this.customs,
      identity: { host: hostname(), pid: process.pid, version: VERSION },
    };
    const engine = new Engine({
      store,
      // Lease expiry, due times and instants by the store's clock, whichever host this is.
      clock: skew ? skewedClock(clock, () => skew.current) : clock,
      logger,
      events: this.events,
      executors: this.executors,
      settings,
    });
    try {
      await engine.start();
    } catch (err) {
      await skew?.stop();
      await store.close();
      this.state = 'stopped';
      this.markFailed(err);
      throw err;
    }
    this.engine = engine;
    this.unsubscribe = store.onChange?.(() => this.engine?.wake());
    skew?.start();
    this.state = 'running';
    this.markStarted();
  }

  /**
   * Stops: no more claims; running attempts get `timeoutMs` to finish, then
   * are aborted and handed back for another instance to take over at once;
   * the store is closed. Idempotent: every call resolves when the stop is done.
   */
  async stop(params: { timeoutMs?: number } = {}): Promise<void> {
    STOP_CHECK.assert(params, '');
    this.stopping ??= this.shutDown(params.timeoutMs ?? this.options.stopTimeoutMs);
    return this.stopping;
  }

  private async shutDown(timeoutMs: number): Promise<void> {
    const wasStarting = this.state === 'starting';
    this.state = 'stopping';
    this.markFailed(
      new ChimeError('CHIME_ERR_SCHEDULER_STOPPED', 'the scheduler was stopped before it started'),
    );
    if (wasStarting) await this.starting?.catch(() => undefined);
    await this.skew?.stop();
    if (this.engine) {
      this.unsubscribe?.();
      await this.engine.stop(timeoutMs);
      await Promise.allSettled([...this.executors.values()].map((e) => e.close?.()));
      await this.options.store.close();
    }
    this.state = 'stopped';
  }

  /** `await using scheduler = createScheduler(…)` stops it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * Creates the job, or updates it to this definition. Idempotent: a second
   * identical call changes nothing and bumps no version. Leaves `paused` as it
   * is unless the definition says otherwise.
   */
  async ensureJob(definition: JobDefinition): Promise<Job> {
    const job = this.validator.validate(definition);
    return onlyJob(await this.batches.put([job], 'ensure', () => ''));
  }

  /** Creates the job; rejects with `CHIME_ERR_JOB_EXISTS` if its id is taken. */
  async submitJob(definition: JobDefinition): Promise<Job> {
    const job = this.validator.validate(definition);
    return onlyJob(await this.batches.put([job], 'submit', () => ''));
  }

  /**
   * {@link ensureJob} for many jobs at once: creates or updates each, in one
   * store transaction per round, and returns them in input order. Jobs whose
   * definition is unchanged are left alone (no version bump). Every item is
   * validated before anything is written, and errors name the item by its
   * index (`/3/schedule/at`); the same id twice is refused
   * (`CHIME_ERR_INVALID_INPUT` at `/i/id`). All of it is written, or none.
   * An empty array resolves to `[]`.
   */
  async ensureJobs(definitions: JobDefinition[]): Promise<Job[]> {
    return this.batches.put(this.batches.validate(definitions), 'ensure', (i) => `/${i}`);
  }

  /**
   * {@link submitJob} for many jobs at once: creates them all in one store
   * transaction and returns them in input order. Every item is validated
   * before anything is written, and errors name the item by its index
   * (`/3/schedule/at`); the same id twice is refused (`CHIME_ERR_INVALID_INPUT`
   * at `/i/id`), and a taken id rejects with `CHIME_ERR_JOB_EXISTS` at `/i/id`
   * — then none of the jobs is created. An empty array resolves to `[]`.
   */
  async submitJobs(definitions: JobDefinition[]): Promise<Job[]> {
    return this.batches.put(this.batches.validate(definitions), 'submit', (i) => `/${i}`);
  }

  /**
   * Jobs as code: brings the store to these definitions (each with an id) in
   * one store transaction — creates the missing jobs, updates the changed
   * ones and, with `prune`, removes the jobs whose metadata matches that
   * selector and that are not among them. Returns the drift it found: ids
   * created, jobs changed with a field-level diff (secrets redacted), ids
   * removed, ids unchanged. With `dryRun` it reports and writes nothing.
   * Every item is validated before anything is read, errors naming the item
   * by its index (`/3/schedule/expr`).
   */
  async apply(definitions: JobDefinition[], options: ApplyOptions = {}): Promise<ApplyReport> {
    APPLY_CHECK.assert(options, '');
    if (options.prune !== undefined) checkSelector(options.prune, '/prune');
    const jobs = this.batches.validate(definitions, { idRequired: true });
    const items = this.batches.items(jobs, (i) => `/${i}`);
    await this.ready();
    return this.batches.apply(items, options);
  }

  /**
   * Removes every job whose metadata matches the selector (and their
   * executions) in one store transaction; returns the ids removed — with
   * `dryRun`, the ids it would remove, removing nothing.
   */
  async clearJobs(params: { selector: Selector; dryRun?: boolean }): Promise<ClearReport> {
    CLEAR_CHECK.assert(params, '');
    const prune = checkSelector(params.selector, '/selector');
    await this.ready();
    const report = await this.batches.apply([], { prune, dryRun: params.dryRun });
    return { dryRun: report.dryRun, remove: report.remove };
  }

  /** The job, or null. */
  async getJob(id: string): Promise<Job | null> {
    await this.ready();
    const record = await this.options.store.jobGet({ id });
    return record ? toJob(record) : null;
  }

  /** Deletes the job and its executions; false when it did not exist. */
  async removeJob(id: string): Promise<boolean> {
    await this.ready();
    const removed = await this.options.store.jobDelete({ id });
    if (removed) this.events.emit('job:removed', { jobId: id });
    return removed;
  }

  /** Jobs ordered by id, filtered, a page at a time. */
  async listJobs(params: ListJobsParams = {}): Promise<Page<Job>> {
    LIST_JOBS_CHECK.assert(params, '');
    const limit = params.limit ?? 100;
    const afterId =
      params.cursor === undefined ? undefined : decodeCursor(params.cursor, { id: 'string' }).id;
    await this.ready();
    const records = await this.options.store.jobsList({ ...params, limit, afterId });
    const last = records.at(-1);
    return {
      items: records.map((record) => toJob<Target>(record)),
      nextCursor: records.length === limit && last ? encodeCursor({ id: last.id }) : null,
    };
  }

  /**
   * Unpaused jobs whose next fire not yet planned comes at or before `until`,
   * soonest first: what fires next. Served by the store's due-time index, so
   * it costs what is due, not the number of jobs.
   */
  async listDueJobs(params: { until: Date | number; limit?: number }): Promise<Job[]> {
    DUE_JOBS_CHECK.assert({ limit: params.limit }, '');
    const before = params.until instanceof Date ? params.until.getTime() : params.until;
    if (!Number.isFinite(before))
      throw new ChimeError('CHIME_ERR_DATE_INVALID', 'until is not an instant', { path: '/until' });
    await this.ready();
    const records = await this.options.store.jobsDue({ before, limit: params.limit ?? 100 });
    return records.map((record) => toJob<Target>(record));
  }

  /**
   * Pauses the job: it fires no more until resumed, from its first fire not yet
   * claimed (fires are claimed at most `horizonMs` ahead); survives restarts.
   */
  async pauseJob(id: string): Promise<Job> {
    return this.changeJob(id, (record, now) =>
      record.paused
        ? undefined
        : { record: withPaused(record, true, now, false, this.customs), dropPlanned: true },
    );
  }

  /**
   * Resumes the job from now on: fires due while it was paused do not run;
   * they are recorded `skipped`, reason `paused` (see `pause-record.ts`).
   */
  async resumeJob(id: string): Promise<Job> {
    let paused: { record: JobRecord; now: number } | undefined;
    const job = await this.changeJob(id, (record, now) => {
      if (!record.paused) return undefined;
      paused = { record, now };
      return { record: withPaused(record, false, now, false, this.customs), dropPlanned: false };
    });
    // The job is resumed either way: a record that cannot be written is reported, not thrown.
    if (paused)
      await recordPause(this.options.store, paused.record, paused.now, this.policyDefaults).catch(
        (err: unknown) =>
          this.options.logger.warn({ err, jobId: id }, 'the pause was not recorded'),
      );
    return job;
  }

  /** Runs the job now, once, outside its schedule; returns the new execution. */
  async triggerJob(id: string, params: { payload?: unknown } = {}): Promise<Execution> {
    this.validator.validateTrigger(params);
    await this.ready();
    const job = await this.options.store.jobGet({ id });
    if (!job) throw notFound(id);
    const now = this.now();
    const execution = newExecution({ jobId: id, fireAt: now, runAt: now, now, trigger: 'manual' });
    if (params.payload !== undefined) execution.payload = params.payload;
    await this.options.store.executionInsert({ execution });
    this.engine?.wake();
    this.events.emit('execution:triggered', {
      executionId: execution.id,
      jobId: id,
      fireAt: new Date(now),
    });
    return toExecution(execution);
  }

  /**
   * Backfills a past window: every fire of the job's schedule in `[from, to]`
   * not yet in its ledger becomes an execution marked `backfill`, due now
   * (however late, whatever its misfire policy); fires in the ledger are left
   * alone, so a second identical call adds nothing. `dryRun` lists the fires
   * it would add. More fires in the window than `maxBackfillFires` reject
   * with `CHIME_ERR_BACKFILL_TOO_LARGE`, adding none.
   */
  async backfillJob(id: string, params: BackfillParams): Promise<BackfillResult> {
    BACKFILL_CHECK.assert(params, '');
    await this.ready();
    const job = await this.options.store.jobGet({ id });
    if (!job) throw notFound(id);
    const { store, maxBackfillFires } = this.options;
    const result = await backfill(
      { store, job, now: this.now(), maxFires: maxBackfillFires, customs: this.customs },
      params,
    );
    if (result.fires.length > 0 && !result.dryRun) this.engine?.wake();
    return result;
  }

  /**
   * The live instances of the store — every scheduler sharing it, this one
   * included — with their last sign of life and what they hold, by id.
   */
  async instances(): Promise<Instance[]> {
    await this.ready();
    return (await this.options.store.instancesList()).map(toInstance);
  }

  /** The execution, or null. */
  async getExecution(id: string): Promise<Execution | null> {
    await this.ready();
    const record = await this.options.store.executionGet({ id });
    return record ? toExecution(record) : null;
  }

  /** Executions newest first, filtered, a page at a time. */
  async listExecutions(params: ListExecutionsParams = {}): Promise<Page<Execution>> {
    LIST_EXECUTIONS_CHECK.assert(params, '');
    const limit = params.limit ?? 100;
    const before =
      params.cursor === undefined
        ? undefined
        : decodeCursor(params.cursor, { fireAt: 'number', id: 'string' });
    await this.ready();
    const records = await this.options.store.executionsList({
      jobId: params.jobId,
      status: params.status,
      limit,
      before,
    });
    const last = records.at(-1);
    return {
      items: records.map(toExecution),
      nextCursor:
        records.length === limit && last
          ? encodeCursor({ fireAt: last.fireAt, id: last.id })
          : null,
    };
  }

  /**
   * The schemas of this scheduler's input, with its target types: `job` is the
   * JSON Schema of a job definition (`GET /v1/schema/job`), `target` the union
   * of the target schemas (secret fields marked, see `redactSecrets`).
   */
  schemas(): { job: TSchema; target: TSchema } {
    const target = Type.Union(
      [...this.executors.values()].map((e) => e.schema),
      { title: 'Target', description: 'What a fire does, by `type`.' },
    );
    return { job: jobDefinitionSchema(target), target };
  }

  /**
   * The next fires of a schedule after `from` (default: now by this
   * scheduler's clock), in UTC and local time, DST-moved ones marked; no
   * more than `maxFires` (a job's fires left).
   */
  nextFireTimes(
    schedule: Schedule,
    params: { count?: number; from?: Date | string | number; maxFires?: number } = {},
  ): FirePreview[] {
    return nextFireTimes(schedule, { from: this.now(), ...params, customs: this.customs });
  }

  private async changeJob(
    id: string,
    change: (
      record: JobRecord,
      now: number,
    ) => { record: JobRecord; dropPlanned: boolean } | undefined,
  ): Promise<Job> {
    await this.ready();
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      const existing = await this.options.store.jobGet({ id });
      if (!existing) throw notFound(id);
      const now = this.now();
      const next = change(existing, now);
      if (!next) return toJob(existing);
      const write = {
        job: next.record,
        expectedVersion: existing.version,
        dropPlanned: next.dropPlanned,
      };
      const failed = await this.options.store.jobsWrite({ writes: [write] });
      if (failed.length === 0) return this.changed(next.record);
    }
    throw conflict(id);
  }

  /** Announces job writes this instance committed, and wakes the engine for what they make due. */
  private written(writes: JobWrite[]): void {
    for (const write of writes) {
      if (write.remove) this.events.emit('job:removed', { jobId: write.job.id });
      else this.announce(write.job, write.expectedVersion === null);
    }
    if (writes.some((write) => !write.remove && write.job.nextFireAt !== null)) this.engine?.wake();
  }

  /** Wakes the engine so it re-reads when work is next due, and announces the change. */
  private changed(record: JobRecord): Job {
    if (record.nextFireAt !== null) this.engine?.wake();
    this.announce(record, false);
    return toJob(record);
  }

  /** Emits `job:created` or `job:changed` for a job this instance wrote. */
  private announce(record: JobRecord, created: boolean): void {
    if (created) this.events.emit('job:created', { jobId: record.id, version: record.version });
    else
      this.events.emit('job:changed', {
        jobId: record.id,
        version: record.version,
        paused: record.paused,
      });
  }

  /** Now, by the store's clock when it has one (the same clock the engine runs on). */
  private now(): number {
    return this.options.clock.now() + (this.skew?.current ?? 0);
  }

  /** Resolves once started (calls before `start()` wait here); rejects once stopped. */
  private async ready(): Promise<void> {
    if (this.state === 'running') return;
    if (this.state === 'stopping' || this.state === 'stopped') {
      throw new ChimeError('CHIME_ERR_SCHEDULER_STOPPED', 'the scheduler has been stopped');
    }
    await this.started;
  }
}

/** The one job of a batch of one. */
function onlyJob(jobs: Job[]): Job {
  const [job] = jobs;
  if (!job) throw new Error('a batch of one job returned none');
  return job;
}

/** Creates a scheduler; see {@link SchedulerOptions}. Call `start()` to begin firing. */
export function createScheduler(options: SchedulerOptions = {}): Scheduler {
  return new Scheduler(options);
}
