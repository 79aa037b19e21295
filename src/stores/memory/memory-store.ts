import type {
  Claim,
  ExecutionRecord,
  ExecutionsListParams,
  FinishRequest,
  JobPlan,
  JobRecord,
  JobsListParams,
  LeaseRef,
  StartRequest,
  StartResult,
  Store,
} from '../store.js';
import {
  isFinishable,
  isStartable,
  matchesJobFilter,
  isPlannedFire,
  isUnfinishedForOverlap,
  compareNewestFirst,
} from '../rules.js';

/**
 * The in-process store: state in maps, for tests and ephemeral use. Several
 * schedulers in one process may share one instance. Nothing survives the
 * process. It is the reference for the store contract; it copies records in and
 * out so no caller shares objects with it.
 */
export class MemoryStore implements Store {
  readonly name = 'memory';
  readonly capabilities = { notify: false };
  private readonly jobs = new Map<string, JobRecord>();
  private readonly executions = new Map<string, ExecutionRecord>();
  /** `jobId \0 fireAt` of scheduled fires: the uniqueness of one execution per fire. */
  private readonly fires = new Set<string>();

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async jobGet({ id }: { id: string }): Promise<JobRecord | null> {
    const job = this.jobs.get(id);
    return job ? copy(job) : null;
  }

  async jobInsert({ job }: { job: JobRecord }): Promise<boolean> {
    if (this.jobs.has(job.id)) return false;
    this.jobs.set(job.id, copy(job));
    return true;
  }

  async jobUpdate(params: {
    job: JobRecord;
    expectedVersion: number;
    dropPlanned: boolean;
  }): Promise<boolean> {
    const current = this.jobs.get(params.job.id);
    if (!current || current.version !== params.expectedVersion) return false;
    const job = copy(params.job);
    this.jobs.set(job.id, job);
    if (params.dropPlanned) {
      for (const execution of this.executions.values()) {
        if (execution.jobId !== job.id || !isPlannedFire(execution)) continue;
        this.deleteExecution(execution);
        job.completedAt = null;
      }
    }
    return true;
  }

  async jobDelete({ id }: { id: string }): Promise<boolean> {
    if (!this.jobs.delete(id)) return false;
    for (const execution of this.executions.values()) {
      if (execution.jobId === id) this.deleteExecution(execution);
    }
    return true;
  }

  async jobsList(params: JobsListParams): Promise<JobRecord[]> {
    return [...this.jobs.values()]
      .filter(
        (job) =>
          (params.afterId === undefined || job.id > params.afterId) &&
          matchesJobFilter(job, params),
      )
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, params.limit)
      .map(copy);
  }

  async nextDueAt(): Promise<number | null> {
    let next: number | null = null;
    const earlier = (t: number) => (next === null || t < next ? t : next);
    for (const job of this.jobs.values())
      if (!job.paused && job.nextFireAt !== null) next = earlier(job.nextFireAt);
    for (const e of this.executions.values())
      if (e.leaseOwner === null && hasWork(e)) next = earlier(e.runAt);
    return next;
  }

  async jobsDue({ before, limit }: { before: number; limit: number }): Promise<JobRecord[]> {
    return [...this.jobs.values()]
      .filter((job) => !job.paused && job.nextFireAt !== null && job.nextFireAt <= before)
      .sort((a, b) => (a.nextFireAt ?? 0) - (b.nextFireAt ?? 0))
      .slice(0, limit)
      .map(copy);
  }

  async jobsAdvance({
    plans,
  }: {
    plans: JobPlan[];
  }): Promise<{ claims: Claim[]; applied: string[] }> {
    const claims: Claim[] = [];
    const applied: string[] = [];
    for (const plan of plans) {
      const job = this.jobs.get(plan.jobId);
      if (
        !job ||
        job.version !== plan.expectedVersion ||
        job.nextFireAt !== plan.expectedNextFireAt
      )
        continue;
      applied.push(job.id);
      job.nextFireAt = plan.nextFireAt;
      if (plan.completedAt !== null) job.completedAt = plan.completedAt;
      if (plan.lastOutcome !== null) job.lastOutcome = { ...plan.lastOutcome };
      for (const execution of plan.executions) {
        if (!this.insertExecution(execution)) continue;
        if (execution.leaseOwner !== null)
          claims.push({ execution: copy(execution), job: copy(job) });
      }
    }
    return { claims, applied };
  }

  async executionInsert({ execution }: { execution: ExecutionRecord }): Promise<void> {
    this.insertExecution(execution);
  }

  async executionGet({ id }: { id: string }): Promise<ExecutionRecord | null> {
    const execution = this.executions.get(id);
    return execution ? copy(execution) : null;
  }

  async executionsList(params: ExecutionsListParams): Promise<ExecutionRecord[]> {
    const { before } = params;
    return [...this.executions.values()]
      .filter(
        (e) =>
          (params.jobId === undefined || e.jobId === params.jobId) &&
          (params.status === undefined || e.status === params.status) &&
          (before === undefined || compareNewestFirst(e, before) > 0),
      )
      .sort(compareNewestFirst)
      .slice(0, params.limit)
      .map(copy);
  }

  async executionsClaim(params: {
    owner: string;
    now: number;
    until: number;
    leaseMs: number;
    limit: number;
  }): Promise<Claim[]> {
    const due = [...this.executions.values()]
      .filter((e) => e.leaseOwner === null && hasWork(e) && e.runAt <= params.until)
      .sort((a, b) => a.runAt - b.runAt)
      .slice(0, params.limit);
    return due.map((e) =>
      this.lease(e, params.owner, Math.max(e.runAt, params.now) + params.leaseMs),
    );
  }

  async executionsTakeOver(params: {
    owner: string;
    now: number;
    leaseMs: number;
    limit: number;
  }): Promise<Claim[]> {
    const expired = [...this.executions.values()]
      .filter((e) => e.leaseOwner !== null && e.leaseUntil !== null && e.leaseUntil < params.now)
      .sort((a, b) => (a.leaseUntil ?? 0) - (b.leaseUntil ?? 0))
      .slice(0, params.limit);
    return expired.map((e) => {
      if (e.status === 'running' && e.startedAt !== null) {
        e.attempts.push({
          attempt: e.attempt,
          owner: e.leaseOwner ?? '',
          startedAt: new Date(e.startedAt).toISOString(),
          finishedAt: new Date(params.now).toISOString(),
          outcome: 'abandoned',
          error: {
            message: `lease of ${e.leaseOwner ?? 'its instance'} expired during the attempt`,
          },
        });
      }
      return this.lease(e, params.owner, Math.max(e.runAt, params.now) + params.leaseMs);
    });
  }

  async executionsStart({ starts }: { starts: StartRequest[] }): Promise<StartResult[]> {
    return starts.map((start) => {
      const e = this.executions.get(start.id);
      if (!e || e.leaseToken !== start.leaseToken || e.leaseOwner === null) return 'rejected';
      if (!isStartable(e) || e.attempt !== start.attempt - 1) return 'rejected';
      const end = (status: 'skipped' | 'missed') => {
        Object.assign(e, {
          status,
          leaseOwner: null,
          leaseUntil: null,
          finishedAt: start.startedAt,
        });
        return status;
      };
      if (start.missBefore !== undefined && isPlannedFire(e) && e.fireAt < start.missBefore)
        return end('missed');
      if (start.forbidOverlap && this.hasUnfinishedBefore(e)) return end('skipped');
      Object.assign(e, {
        status: 'running',
        attempt: start.attempt,
        startedAt: start.startedAt,
      } satisfies Partial<ExecutionRecord>);
      return 'started';
    });
  }

  async executionsFinish({ finishes }: { finishes: FinishRequest[] }): Promise<boolean[]> {
    return finishes.map((finish) => {
      const e = this.executions.get(finish.id);
      if (!e || e.leaseToken !== finish.leaseToken || e.leaseOwner === null) return false;
      if (!isFinishable(e, finish)) return false;
      e.status = finish.status;
      if (finish.runAt !== undefined) e.runAt = finish.runAt;
      if (finish.attempt) e.attempts.push(copy(finish.attempt));
      if (finish.result !== undefined) e.result = copy(finish.result);
      if (finish.error !== undefined) e.error = { ...finish.error };
      e.onFailure = finish.onFailure;
      e.finishedAt = finish.finishedAt;
      e.leaseOwner = finish.keepLeaseUntil === undefined ? null : e.leaseOwner;
      e.leaseUntil = finish.keepLeaseUntil ?? null;
      const job = this.jobs.get(e.jobId);
      if (job && finish.lastOutcome) job.lastOutcome = { ...finish.lastOutcome };
      return true;
    });
  }

  async leasesRenew(params: {
    owner: string;
    leases: LeaseRef[];
    until: number;
  }): Promise<string[]> {
    const renewed: string[] = [];
    for (const lease of params.leases) {
      const e = this.executions.get(lease.id);
      if (e && e.leaseToken === lease.leaseToken && e.leaseOwner === params.owner) {
        e.leaseUntil = params.until;
        renewed.push(lease.id);
      }
    }
    return renewed;
  }

  async leasesRelease({ leases }: { leases: LeaseRef[] }): Promise<void> {
    for (const lease of leases) {
      const e = this.executions.get(lease.id);
      if (e && e.leaseToken === lease.leaseToken) {
        e.leaseOwner = null;
        e.leaseUntil = null;
      }
    }
  }

  private insertExecution(execution: ExecutionRecord): boolean {
    const key = fireKey(execution);
    if (this.executions.has(execution.id) || (key !== null && this.fires.has(key))) return false;
    if (!this.jobs.has(execution.jobId)) return false;
    this.executions.set(execution.id, copy(execution));
    if (key !== null) this.fires.add(key);
    return true;
  }

  private deleteExecution(execution: ExecutionRecord): void {
    this.executions.delete(execution.id);
    const key = fireKey(execution);
    if (key !== null) this.fires.delete(key);
  }

  private lease(e: ExecutionRecord, owner: string, until: number): Claim {
    e.leaseOwner = owner;
    e.leaseUntil = until;
    e.leaseToken += 1;
    const job = this.jobs.get(e.jobId);
    if (!job) throw new Error(`execution ${e.id} has no job ${e.jobId}`);
    return { execution: copy(e), job: copy(job) };
  }

  private hasUnfinishedBefore(execution: ExecutionRecord): boolean {
    for (const other of this.executions.values()) {
      if (
        other.jobId === execution.jobId &&
        other.id !== execution.id &&
        isUnfinishedForOverlap(other, execution)
      )
        return true;
    }
    return false;
  }
}

function hasWork(e: ExecutionRecord): boolean {
  return (
    e.status === 'scheduled' ||
    e.status === 'running' ||
    (e.status === 'failed' && e.onFailure === 'pending')
  );
}

function fireKey(e: ExecutionRecord): string | null {
  return e.trigger === 'schedule' ? `${e.jobId}\u0000${e.fireAt}` : null;
}

function copy<T>(value: T): T {
  return structuredClone(value);
}

/** Creates an in-process store (nothing survives the process). */
export function memoryStore(): MemoryStore {
  return new MemoryStore();
}
