import { v7 as uuidv7 } from 'uuid';
import Type from 'typebox';
import { ChimeError } from '../errors.js';
import { Engine } from '../engine/engine.js';
import {
  SchedulerEmitter,
  type SchedulerEventName,
  type SchedulerEvents,
} from '../engine/events.js';
import { resolvePolicies } from '../engine/policies.js';
import type { Executor } from '../executors/executor.js';
import { HandlerRegistry, type Handler } from '../executors/handler/handler-executor.js';
import { builtinExecutors } from '../executors/builtin.js';
import { schemaCheck } from '../model/check.js';
import { EXECUTION_STATUSES, type Execution, type ExecutionStatus } from '../model/execution.js';
import type { Job, JobDefinition } from '../model/job.js';
import { MetadataSchema } from '../model/job.js';
import type { Schedule } from '../model/schedule.js';
import { JobValidator } from '../model/validate-job.js';
import { toExecution, toJob } from '../model/views.js';
import { nextFireTimes, type FirePreview } from '../schedules/preview.js';
import type { ExecutionRecord, JobRecord } from '../stores/store.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { definitionHash, newJobRecord, updatedJobRecord, withPaused } from './job-records.js';
import { resolveOptions, type ResolvedOptions, type SchedulerOptions } from './options.js';

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

const LIST_JOBS_CHECK = schemaCheck(
  Type.Object(
    {
      metadata: Type.Optional(MetadataSchema),
      paused: Type.Optional(Type.Boolean()),
      targetType: Type.Optional(Type.String({ minLength: 1 })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      cursor: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
);
const LIST_EXECUTIONS_CHECK = schemaCheck(
  Type.Object(
    {
      jobId: Type.Optional(Type.String({ minLength: 1 })),
      status: Type.Optional(Type.Union(EXECUTION_STATUSES.map((s) => Type.Literal(s)))),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      cursor: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
);
/** Most compare-and-set rounds of one job change before giving up. */
const MAX_CAS_ROUNDS = 20;

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

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
  private readonly validator: JobValidator;
  private engine: Engine | undefined;
  private state: State = 'new';
  private readonly started: Promise<void>;
  private markStarted!: () => void;
  private markFailed!: (err: unknown) => void;
  private unsubscribe: (() => void) | undefined;

  constructor(options: SchedulerOptions = {}) {
    this.options = resolveOptions(options);
    this.executors = executorMap([
      ...builtinExecutors({ handlers: this.handlers, allowShell: this.options.allowShell }),
      ...this.options.executors,
    ]);
    this.validator = new JobValidator(this.executors, {
      maxPayloadBytes: this.options.maxPayloadBytes,
    });
    this.started = new Promise<void>((resolve, reject) => {
      this.markStarted = resolve;
      this.markFailed = reject;
    });
    this.started.catch(() => undefined);
  }

  /** This instance's id (in leases, logs and attempt records). */
  get instanceId(): string {
    return this.options.instanceId;
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
    const { store, clock, logger } = this.options;
    try {
      await store.open();
      this.engine = new Engine({
        store,
        clock,
        logger,
        events: this.events,
        executors: this.executors,
        settings: this.options,
      });
      this.unsubscribe = store.onChange?.(() => this.engine?.wake());
      this.engine.start();
      this.state = 'running';
      this.markStarted();
    } catch (err) {
      this.state = 'stopped';
      this.markFailed(err);
      throw err;
    }
  }

  /**
   * Stops: no more claims; running attempts get `timeoutMs` to finish, then
   * are aborted and handed back for another instance to take over at once;
   * the store is closed. Idempotent.
   */
  async stop(params: { timeoutMs?: number } = {}): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    this.markFailed(
      new ChimeError('CHIME_ERR_SCHEDULER_STOPPED', 'the scheduler was stopped before it started'),
    );
    if (wasRunning && this.engine) {
      this.unsubscribe?.();
      await this.engine.stop(params.timeoutMs ?? this.options.stopTimeoutMs);
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
    return this.putJob(job, 'ensure');
  }

  /** Creates the job; rejects with `CHIME_ERR_JOB_EXISTS` if its id is taken. */
  async submitJob(definition: JobDefinition): Promise<Job> {
    const job = this.validator.validate(definition);
    return this.putJob(job, 'submit');
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
    return this.options.store.jobDelete({ id });
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
      items: records.map(toJob),
      nextCursor: records.length === limit && last ? encodeCursor({ id: last.id }) : null,
    };
  }

  /** Pauses the job (it fires no more until resumed; survives restarts). */
  async pauseJob(id: string): Promise<Job> {
    return this.changeJob(id, (record, now) =>
      record.paused ? undefined : { record: withPaused(record, true, now), dropPlanned: true },
    );
  }

  /** Resumes the job from now on (fires due while it was paused do not run). */
  async resumeJob(id: string): Promise<Job> {
    return this.changeJob(id, (record, now) =>
      record.paused ? { record: withPaused(record, false, now), dropPlanned: false } : undefined,
    );
  }

  /** Runs the job now, once, outside its schedule; returns the new execution. */
  async triggerJob(id: string, params: { payload?: unknown } = {}): Promise<Execution> {
    if ('payload' in params) this.validator.validatePayload(params.payload, '/payload');
    await this.ready();
    const job = await this.options.store.jobGet({ id });
    if (!job) throw notFound(id);
    const now = this.options.clock.now();
    const execution: ExecutionRecord = {
      id: uuidv7(),
      jobId: id,
      fireAt: now,
      runAt: now,
      trigger: 'manual',
      status: 'scheduled',
      attempt: 0,
      leaseOwner: null,
      leaseUntil: null,
      leaseToken: 0,
      attempts: [],
      onFailure: null,
      createdAt: now,
      startedAt: null,
      finishedAt: null,
    };
    if (params.payload !== undefined) execution.payload = params.payload;
    await this.options.store.executionInsert({ execution });
    this.engine?.wake();
    return toExecution(execution);
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

  /** The next fires of a schedule, in UTC and local time, DST-moved ones marked. */
  nextFireTimes(
    schedule: Schedule,
    params: { count?: number; from?: Date | string | number } = {},
  ): FirePreview[] {
    return nextFireTimes(schedule, params);
  }

  private async putJob(job: JobDefinition, mode: 'ensure' | 'submit'): Promise<Job> {
    const id = job.id ?? uuidv7();
    const graceMs = resolvePolicies({
      ...job,
      target: { type: 'handler' },
      metadata: {},
    }).misfireGraceMs;
    await this.ready();
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      const now = this.options.clock.now();
      const existing = await this.options.store.jobGet({ id });
      if (existing && mode === 'submit') {
        throw new ChimeError('CHIME_ERR_JOB_EXISTS', `a job with id "${id}" already exists`, {
          path: '/id',
        });
      }
      if (!existing) {
        this.validator.assertNotInPast(job, now, graceMs);
        const record = newJobRecord(id, job, now);
        if (await this.options.store.jobInsert({ job: record })) return this.changed(record);
        continue;
      }
      const unchanged =
        existing.hash === definitionHash(job) &&
        (job.paused === undefined || job.paused === existing.paused);
      if (unchanged) return toJob(existing);
      const { record, scheduleChanged } = updatedJobRecord(existing, job, now);
      if (scheduleChanged) this.validator.assertNotInPast(job, now, graceMs);
      const dropPlanned = scheduleChanged || (record.paused && !existing.paused);
      if (
        await this.options.store.jobUpdate({
          job: record,
          expectedVersion: existing.version,
          dropPlanned,
        })
      ) {
        return this.changed(record);
      }
    }
    throw conflict(id);
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
      const now = this.options.clock.now();
      const next = change(existing, now);
      if (!next) return toJob(existing);
      if (
        await this.options.store.jobUpdate({
          job: next.record,
          expectedVersion: existing.version,
          dropPlanned: next.dropPlanned,
        })
      ) {
        return this.changed(next.record);
      }
    }
    throw conflict(id);
  }

  /** Wakes the engine so it re-reads when work is next due. */
  private changed(record: JobRecord): Job {
    if (record.nextFireAt !== null) this.engine?.wake();
    return toJob(record);
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

/** Executors by target type; a type defined twice is refused. */
function executorMap(executors: Executor[]): Map<string, Executor> {
  const map = new Map<string, Executor>();
  executors.forEach((executor, i) => {
    if (map.has(executor.type)) {
      throw new ChimeError(
        'CHIME_ERR_OPTION_INVALID',
        `target type "${executor.type}" has two executors`,
        {
          path: `/executors/${i}/type`,
        },
      );
    }
    map.set(executor.type, executor);
  });
  return map;
}

function notFound(id: string): ChimeError {
  return new ChimeError('CHIME_ERR_JOB_NOT_FOUND', `no job has id "${id}"`, { path: '/id' });
}

function conflict(id: string): ChimeError {
  return new ChimeError(
    'CHIME_ERR_JOB_CONFLICT',
    `job "${id}" kept changing under concurrent updates; try again`,
    { path: '/id' },
  );
}

/** Creates a scheduler; see {@link SchedulerOptions}. Call `start()` to begin firing. */
export function createScheduler(options: SchedulerOptions = {}): Scheduler {
  return new Scheduler(options);
}
