import type { Logger } from 'pino';
import { ChimeError } from '../errors.js';
import type { Executor } from '../executors/executor.js';
import type { Claim, FinishRequest, StartRequest, StartResult, Store } from '../stores/store.js';
import type { Clock } from './clock.js';
import { toError, type SchedulerEmitter } from './events.js';
import { AttemptContext } from './attempt-context.js';
import { GroupCommit } from './group-commit.js';
import type { HeldLease, Leases } from './leases.js';
import { decideOutcome, toErrorInfo, type AttemptResult, type Decision } from './outcome.js';
import { resolvePolicies, type ResolvedPolicies } from './policies.js';

/** Store writes grouped into one call. */
const WRITE_BATCH = 500;
/** Pause before a failed outcome write is tried again (while the lease lasts). */
const FINISH_RETRY_MS = 250;

/** What the runner needs from the engine. */
export interface RunnerDeps {
  store: Store;
  owner: string;
  clock: Clock;
  leaseMs: number;
  concurrency: number;
  maxResultBytes: number;
  leases: Leases;
  executors: ReadonlyMap<string, Executor>;
  events: SchedulerEmitter;
  logger: Logger;
}

/**
 * The runner runs due executions with bounded concurrency: a fenced start
 * (group-committed, and where `overlap: 'forbid'` holds, checked against the
 * job's unfinished executions), the executor under the attempt's signal, then
 * the outcome's fenced write (group-committed; the slot is free before the
 * write returns): done, retry, or dead and then the job's onFailure target.
 */
export class Runner {
  private ready: Claim[] = [];
  private readyHead = 0;
  private running = 0;
  private readonly tasks = new Set<Promise<void>>();
  private readonly starts: GroupCommit<StartRequest, StartResult>;
  private readonly finishes: GroupCommit<FinishRequest, boolean>;

  constructor(private readonly deps: RunnerDeps) {
    this.starts = new GroupCommit((starts) => deps.store.executionsStart({ starts }), WRITE_BATCH);
    this.finishes = new GroupCommit(
      (finishes) => deps.store.executionsFinish({ finishes }),
      WRITE_BATCH,
    );
  }

  /** Executions queued or running in this instance. */
  get load(): number {
    return this.ready.length - this.readyHead + this.running;
  }

  /** Hands due executions to the runner. */
  enqueue(claims: Claim[]): void {
    for (const claim of claims) {
      if (claim.execution.status === 'failed') this.track(this.deliverOnFailure(claim));
      else this.ready.push(claim);
    }
    this.pump();
  }

  /** Aborts every running attempt with `reason` (shutdown). */
  abortAll(reason: ChimeError): void {
    for (const lease of this.deps.leases.all()) lease.abort?.abort(reason);
  }

  /** Resolves when nothing runs, nothing is queued and every write is done. */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
    await this.starts.drain();
    await this.finishes.drain();
  }

  /** Takes back queued executions that have not started (shutdown). */
  takeQueued(): Claim[] {
    const queued = this.ready.slice(this.readyHead);
    this.ready = [];
    this.readyHead = 0;
    return queued;
  }

  private pump(): void {
    while (this.running < this.deps.concurrency && this.readyHead < this.ready.length) {
      const claim = this.ready[this.readyHead++] as Claim;
      this.running++;
      this.track(this.execute(claim));
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
  }

  private track(task: Promise<void>): void {
    const tracked = task
      .catch((err: unknown) => this.report(err, 'runner'))
      .finally(() => this.tasks.delete(tracked));
    this.tasks.add(tracked);
  }

  private release(): void {
    this.running--;
    this.pump();
  }

  private async execute(claim: Claim): Promise<void> {
    const { execution, job } = claim;
    const lease = this.deps.leases.get(execution.id);
    if (!lease) return this.release();
    const policies = resolvePolicies(job.definition);
    const attempt = execution.attempt + 1;
    const startedAt = this.deps.clock.now();
    let started: StartResult;
    try {
      started = await this.starts.add({
        id: execution.id,
        leaseToken: lease.leaseToken,
        attempt,
        startedAt,
        forbidOverlap: policies.overlap === 'forbid',
      });
    } catch (err) {
      this.deps.leases.drop(execution.id);
      this.release();
      return this.report(err, 'executionsStart');
    }
    if (started !== 'started') {
      this.deps.leases.drop(execution.id);
      this.release();
      if (started === 'skipped') this.deps.events.emit('fire:skipped', eventBase(claim));
      return;
    }
    if (this.deps.events.has('execution:started')) {
      this.deps.events.emit('execution:started', {
        ...eventBase(claim),
        attempt,
        startedAt: new Date(startedAt),
      });
    }
    const result = await this.runTarget(claim, lease, attempt, policies, 'target');
    const now = this.deps.clock.now();
    this.release();
    // Outcomes wait for the next turn of the event loop: starts due at the same instant go first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const decision = decideOutcome(
      {
        claim,
        leaseToken: lease.leaseToken,
        owner: this.deps.owner,
        attempt,
        startedAt,
        now,
        leaseMs: this.deps.leaseMs,
        policies,
        maxResultBytes: this.deps.maxResultBytes,
      },
      result,
    );
    if (!decision) return this.lost(claim, attempt, false);
    if (!(await this.write(decision.finish, lease))) return this.lost(claim, attempt, true);
    this.announce(claim, attempt, startedAt, now, decision, result);
    if (decision.kind === 'dead' && decision.finish.onFailure === 'pending') {
      lease.leaseUntil = decision.finish.keepLeaseUntil ?? lease.leaseUntil;
      const failed = {
        ...claim.execution,
        error: decision.error,
        attempts: [...claim.execution.attempts, decision.finish.attempt].filter(
          (a) => a !== undefined,
        ),
      };
      return this.deliverOnFailure({ execution: failed, job });
    }
    this.deps.leases.drop(execution.id);
  }

  /** Runs the job's target (or its onFailure target) under a signal aborted by timeout, lease loss or shutdown. */
  private async runTarget(
    claim: Claim,
    lease: HeldLease,
    attempt: number,
    policies: ResolvedPolicies,
    which: 'target' | 'onFailure',
  ): Promise<AttemptResult> {
    const { execution, job } = claim;
    const target = which === 'target' ? job.definition.target : job.definition.onFailure;
    const controller = new AbortController();
    lease.abort = controller;
    const timeout = this.deps.clock.setTimeout(
      () =>
        controller.abort(
          new ChimeError(
            'CHIME_ERR_ATTEMPT_TIMEOUT',
            `attempt ${attempt} of execution ${execution.id} ran past its timeout of ${policies.timeoutMs} ms`,
          ),
        ),
      policies.timeoutMs,
    );
    try {
      const executor = target ? this.deps.executors.get(target.type) : undefined;
      if (!target || !executor) {
        throw new ChimeError(
          'CHIME_ERR_TARGET_TYPE_UNKNOWN',
          `no executor for target type "${target?.type ?? 'none'}" in this instance`,
          { path: `/${which}/type` },
        );
      }
      const payload =
        which === 'target'
          ? execution.payload !== undefined
            ? execution.payload
            : (job.definition.payload ?? null)
          : failurePayload(claim);
      const ctx = new AttemptContext(claim, payload, attempt, controller.signal, this.deps.logger);
      return { ok: true, value: await untilAborted(executor.run(target, ctx), controller.signal) };
    } catch (error) {
      return { ok: false, error: controller.signal.aborted ? controller.signal.reason : error };
    } finally {
      this.deps.clock.clearTimeout(timeout);
      lease.abort = undefined;
    }
  }

  /** Runs the onFailure target of an execution that failed for good, then records the delivery. */
  private async deliverOnFailure(claim: Claim): Promise<void> {
    const { execution } = claim;
    const lease = this.deps.leases.get(execution.id);
    if (!lease) return;
    const policies = resolvePolicies(claim.job.definition);
    const result = await this.runTarget(claim, lease, 1, policies, 'onFailure');
    const delivered = result.ok;
    const error = result.ok ? undefined : toErrorInfo(result.error);
    const finish: FinishRequest = {
      id: execution.id,
      leaseToken: lease.leaseToken,
      status: 'failed',
      onFailure: delivered ? 'delivered' : 'failed',
      finishedAt: execution.finishedAt ?? this.deps.clock.now(),
      lastOutcome: null,
    };
    if (!(await this.write(finish, lease))) return this.lost(claim, execution.attempt, true);
    this.deps.leases.drop(execution.id);
    this.deps.events.emit('execution:on-failure', {
      ...eventBase(claim),
      delivered,
      ...(error ? { error } : {}),
    });
  }

  /** Writes an outcome, trying again while the lease lasts; false when fenced out or out of time. */
  private async write(finish: FinishRequest, lease: HeldLease): Promise<boolean> {
    for (;;) {
      try {
        return await this.finishes.add(finish);
      } catch (err) {
        this.report(err, 'executionsFinish');
        if (this.deps.clock.now() + FINISH_RETRY_MS >= lease.leaseUntil) return false;
        await new Promise<void>((resolve) => this.deps.clock.setTimeout(resolve, FINISH_RETRY_MS));
      }
    }
  }

  private announce(
    claim: Claim,
    attempt: number,
    startedAt: number,
    now: number,
    decision: Decision,
    result: AttemptResult,
  ): void {
    const base = { ...eventBase(claim), attempt };
    const error = decision.error ?? { message: 'unknown error' };
    if (decision.kind === 'succeeded') {
      if (!this.deps.events.has('execution:succeeded')) return;
      this.deps.events.emit('execution:succeeded', {
        ...base,
        result: result.ok ? result.value : undefined,
        durationMs: now - startedAt,
      });
      return;
    }
    const retryAt =
      decision.kind === 'retry' && decision.finish.runAt !== undefined
        ? new Date(decision.finish.runAt)
        : null;
    this.deps.events.emit('execution:failed', { ...base, error, retryAt });
    if (decision.kind === 'dead') this.deps.events.emit('execution:dead', { ...base, error });
  }

  /** The lease went while the attempt ran; `fenced` when the store just rejected our write (else the reaper announced it). */
  private lost(claim: Claim, attempt: number, fenced: boolean): void {
    this.deps.leases.drop(claim.execution.id);
    this.deps.logger.warn(
      { executionId: claim.execution.id, jobId: claim.job.id, attempt },
      'lease lost: the attempt was aborted and its result rejected',
    );
    if (fenced) this.deps.events.emit('lease:lost', { ...eventBase(claim), attempt });
  }

  private report(err: unknown, during: string): void {
    this.deps.logger.error({ err, during }, 'store call failed');
    this.deps.events.emit('error', { error: toError(err), during });
  }
}

/** The payload an onFailure target receives: the failure, and the original payload. */
function failurePayload(claim: Claim): unknown {
  const { execution, job } = claim;
  return {
    jobId: job.id,
    executionId: execution.id,
    fireAt: new Date(execution.fireAt).toISOString(),
    attempts: execution.attempts,
    error: execution.error ?? null,
    payload: execution.payload !== undefined ? execution.payload : (job.definition.payload ?? null),
  };
}

function eventBase(claim: Claim): { executionId: string; jobId: string; fireAt: Date } {
  return {
    executionId: claim.execution.id,
    jobId: claim.job.id,
    fireAt: new Date(claim.execution.fireAt),
  };
}

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as unknown);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as unknown);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
