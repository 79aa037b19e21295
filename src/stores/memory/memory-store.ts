import { ChimeError } from '../../errors.js';
import type {
  BeatResult,
  InstanceBeat,
  InstanceInfo,
  InstanceRecord,
  Share,
} from '../instances.js';
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
} from '../store.js';
import {
  isFinishable,
  isStartable,
  matchesJobFilter,
  isPlannedFire,
  isPrunable,
  isUnfinishedForOverlap,
  compareNewestFirst,
  inShare,
  pruneAfterAdding,
  pruneAfterPass,
  voidLease,
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
  /** Per job, how many prunable executions it keeps (rules.ts isPrunable). */
  private readonly kept = new Map<string, number>();
  /**
   * What {@link nextDueAt} answered, until a write may change it (undefined:
   * ask again). An idle instance asks every poll; with 100,000 jobs a scan costs
   * milliseconds, the cached answer nothing.
   */
  private nextDue: number | null | undefined;
  /** The registry: instances by id. In one process only silence tells a death. */
  private readonly instances = new Map<string, InstanceRecord>();

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async jobGet({ id }: { id: string }): Promise<JobRecord | null> {
    const job = this.jobs.get(id);
    return job ? copy(job) : null;
  }

  async jobInsert({ job }: { job: JobRecord }): Promise<boolean> {
    if (this.jobs.has(job.id)) return false;
    this.jobs.set(job.id, copy(job));
    this.kept.set(job.id, 0);
    this.nextDue = undefined;
    return true;
  }

  async jobUpdate(params: {
    job: JobRecord;
    expectedVersion: number;
    dropPlanned: boolean;
  }): Promise<boolean> {
    const current = this.jobs.get(params.job.id);
    if (!current || current.version !== params.expectedVersion) return false;
    // What the store keeps itself stays: a finish since the caller read the job is not lost.
    const job: JobRecord = {
      ...copy(params.job),
      stats: current.stats,
      staleSince: current.staleSince,
      pruneAfter: current.pruneAfter,
    };
    this.jobs.set(job.id, job);
    this.nextDue = undefined;
    if (params.dropPlanned) {
      for (const execution of this.executions.values()) {
        if (execution.jobId !== job.id || !isPlannedFire(execution)) continue;
        this.deleteExecution(execution);
        job.completedAt = null;
      }
    }
    return true;
  }

  async jobsGet({ ids }: { ids: string[] }): Promise<JobRecord[]> {
    const found = new Map<string, JobRecord>();
    for (const id of ids) {
      const job = this.jobs.get(id);
      if (job) found.set(id, copy(job));
    }
    return [...found.values()];
  }

  async jobsWrite({ writes }: { writes: JobWrite[] }): Promise<number[]> {
    // Check all first, each write seeing the versions the earlier ones leave …
    const versions = new Map<string, number | undefined>();
    const failed: number[] = [];
    writes.forEach((write, i) => {
      const { id } = write.job;
      const version = versions.has(id) ? versions.get(id) : this.jobs.get(id)?.version;
      const ok =
        write.expectedVersion === null ? version === undefined : version === write.expectedVersion;
      if (!ok) failed.push(i);
      else versions.set(id, write.job.version);
    });
    if (failed.length > 0) return failed;
    // … then apply all. jobInsert and jobUpdate never await: these calls run to
    // completion here, one after the other, with no other call in between.
    const applied = writes.map((write) =>
      write.expectedVersion === null
        ? this.jobInsert({ job: write.job })
        : this.jobUpdate({
            job: write.job,
            expectedVersion: write.expectedVersion,
            dropPlanned: write.dropPlanned,
          }),
    );
    await Promise.all(applied);
    return [];
  }

  async jobDelete({ id }: { id: string }): Promise<boolean> {
    if (!this.jobs.delete(id)) return false;
    this.kept.delete(id);
    this.nextDue = undefined;
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
    if (this.nextDue !== undefined) return this.nextDue;
    let next: number | null = null;
    const earlier = (t: number) => (next === null || t < next ? t : next);
    for (const job of this.jobs.values())
      if (!job.paused && job.nextFireAt !== null) next = earlier(job.nextFireAt);
    for (const e of this.executions.values())
      if (e.leaseOwner === null && hasWork(e)) next = earlier(e.runAt);
    this.nextDue = next;
    return next;
  }

  async jobsDue(params: { before: number; limit: number; share?: Share }): Promise<JobRecord[]> {
    const { before, limit, share } = params;
    return this.jobsWhere(
      (job) =>
        !job.paused &&
        job.nextFireAt !== null &&
        job.nextFireAt <= before &&
        inShare(job.id, job.nextFireAt, share),
    )
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
      this.nextDue = undefined;
      job.nextFireAt = plan.nextFireAt;
      if (plan.completedAt !== null) job.completedAt = plan.completedAt;
      if (plan.lastOutcome !== null) job.lastOutcome = { ...plan.lastOutcome };
      for (const execution of plan.executions) {
        if (!this.insertExecution(execution)) continue;
        if (execution.status === 'missed') job.stats.missed += 1;
        // The insert counted it among the kept ones; pruneAfter follows.
        if (isPrunable(execution)) {
          const at = execution.finishedAt ?? execution.createdAt;
          const kept = this.kept.get(job.id) ?? 0;
          job.pruneAfter = pruneAfterAdding(job.pruneAfter, kept, at, plan.retention);
        }
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

  async jobsToPrune({ now, limit }: { now: number; limit: number }): Promise<JobRecord[]> {
    return this.jobsWhere((job) => job.pruneAfter !== null && job.pruneAfter <= now)
      .sort((a, b) => (a.pruneAfter ?? 0) - (b.pruneAfter ?? 0) || compareIds(a.id, b.id))
      .slice(0, limit)
      .map(copy);
  }

  async executionsPrune(params: {
    jobId: string;
    retention: Retention;
    now: number;
    limit: number;
    expectedPruneAfter: number | null;
  }): Promise<number> {
    const { jobId, retention, now, limit } = params;
    const job = this.jobs.get(jobId);
    if (!job || limit <= 0) return 0;
    const prunable = [...this.executions.values()]
      .filter((e) => e.jobId === jobId && isPrunable(e))
      .sort(compareNewestFirst);
    const cutoff = now - retention.maxAgeMs;
    const doomed = prunable
      .filter(
        (e, rank) => rank >= retention.keepLast || (e.finishedAt !== null && e.finishedAt < cutoff),
      )
      .reverse()
      .slice(0, limit);
    for (const e of doomed) this.deleteExecution(e);
    const kept = this.kept.get(jobId) ?? 0;
    if (job.pruneAfter === params.expectedPruneAfter) {
      const gone = new Set(doomed);
      let oldest: number | null = null;
      for (const e of prunable) {
        if (gone.has(e) || e.finishedAt === null) continue;
        if (oldest === null || e.finishedAt < oldest) oldest = e.finishedAt;
      }
      job.pruneAfter = pruneAfterPass(now, doomed.length === limit, kept, oldest, retention);
    }
    return doomed.length;
  }

  async jobsStale({ now, limit }: { now: number; limit: number }): Promise<JobRecord[]> {
    const stale = this.jobsWhere((job) => {
      const at = staleAt(job);
      return at !== null && at <= now;
    })
      .sort((a, b) => (staleAt(a) ?? 0) - (staleAt(b) ?? 0) || compareIds(a.id, b.id))
      .slice(0, limit);
    for (const job of stale) job.staleSince = now;
    return stale.map(copy);
  }

  async executionsClaim(params: {
    owner: string;
    now: number;
    until: number;
    leaseMs: number;
    limit: number;
    share?: Share;
  }): Promise<Claim[]> {
    const due = [...this.executions.values()]
      .filter(
        (e) =>
          e.leaseOwner === null &&
          hasWork(e) &&
          e.runAt <= params.until &&
          inShare(e.jobId, e.runAt, params.share),
      )
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
    // nextDueAt stays: a start leaves its execution leased, or ends it with no work left.
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
        const job = this.jobs.get(e.jobId);
        if (job) {
          job.stats[status] += 1;
          this.keepOne(job, start.startedAt, start.retention);
        }
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
    this.nextDue = undefined;
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
      if (!job) return true;
      if (finish.lastOutcome) job.lastOutcome = { ...finish.lastOutcome };
      const at = finish.finishedAt ?? e.fireAt;
      if (finish.from === 'running' && (e.status === 'succeeded' || e.status === 'failed')) {
        const { stats } = job;
        stats.lastFireAt =
          stats.lastFireAt === null ? e.fireAt : Math.max(stats.lastFireAt, e.fireAt);
        if (e.status === 'succeeded') {
          stats.succeeded += 1;
          stats.lastSuccessAt = at;
          job.staleSince = null;
        } else {
          stats.failed += 1;
          stats.lastFailureAt = at;
        }
      }
      // A finish starts from a state that is not prunable (isFinishable): prunable now means it became so.
      if (isPrunable(e)) this.keepOne(job, at, finish.retention);
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
    this.nextDue = undefined;
    for (const lease of leases) {
      const e = this.executions.get(lease.id);
      if (e && e.leaseToken === lease.leaseToken) {
        e.leaseOwner = null;
        e.leaseUntil = null;
      }
    }
  }

  async instanceRegister(params: {
    instance: InstanceInfo;
    now: number;
    deadBefore: number;
  }): Promise<void> {
    const { instance, now } = params;
    const current = this.instances.get(instance.id);
    if (current && current.lastSeenAt >= params.deadBefore) {
      throw new ChimeError(
        'CHIME_ERR_INSTANCE_ID_TAKEN',
        `a live instance is registered as "${instance.id}" (last sign of life ${now - current.lastSeenAt} ms ago)`,
      );
    }
    if (current) this.declareDead(current.id, now);
    this.instances.set(instance.id, { ...instance, lastSeenAt: now, held: 0, running: 0 });
  }

  async instanceBeat(beat: InstanceBeat): Promise<BeatResult> {
    const me = this.instances.get(beat.id);
    if (me) Object.assign(me, { lastSeenAt: beat.now, held: beat.held, running: beat.running });
    const declaredDead: string[] = [];
    for (const other of [...this.instances.values()]) {
      if (other.id === beat.id || other.lastSeenAt >= beat.deadBefore) continue;
      this.declareDead(other.id, beat.now);
      declaredDead.push(other.id);
    }
    return { registered: me !== undefined, live: await this.instancesList(), declaredDead };
  }

  async instanceDeregister({ id, now }: { id: string; now: number }): Promise<void> {
    this.declareDead(id, now);
  }

  async instancesList(): Promise<InstanceRecord[]> {
    return [...this.instances.values()].sort((a, b) => compareIds(a.id, b.id)).map(copy);
  }

  /** Removes an instance from the registry and voids its leases (rules.ts voidLease). */
  private declareDead(id: string, now: number): void {
    this.instances.delete(id);
    this.nextDue = undefined;
    for (const e of this.executions.values()) if (e.leaseOwner === id) voidLease(e, now);
  }

  /** The jobs `test` accepts, without copying the whole map into an array first (100,000 jobs idle). */
  private jobsWhere(test: (job: JobRecord) => boolean): JobRecord[] {
    const found: JobRecord[] = [];
    for (const job of this.jobs.values()) if (test(job)) found.push(job);
    return found;
  }

  /** Inserts an execution unless its id or fire is taken or its job is gone; counts it when it is prunable. */
  private insertExecution(execution: ExecutionRecord): boolean {
    const key = fireKey(execution);
    if (this.executions.has(execution.id) || (key !== null && this.fires.has(key))) return false;
    if (!this.jobs.has(execution.jobId)) return false;
    this.executions.set(execution.id, copy(execution));
    this.nextDue = undefined;
    if (key !== null) this.fires.add(key);
    if (isPrunable(execution)) this.countKept(execution.jobId, 1);
    return true;
  }

  /** Deletes an execution; a prunable one leaves its job's kept count. */
  private deleteExecution(execution: ExecutionRecord): void {
    this.executions.delete(execution.id);
    this.nextDue = undefined;
    const key = fireKey(execution);
    if (key !== null) this.fires.delete(key);
    if (isPrunable(execution)) this.countKept(execution.jobId, -1);
  }

  /** Adds `delta` to a job's kept count (never below 0); returns the new count. */
  private countKept(jobId: string, delta: number): number {
    if (!this.kept.has(jobId)) return 0;
    const kept = Math.max(0, (this.kept.get(jobId) ?? 0) + delta);
    this.kept.set(jobId, kept);
    return kept;
  }

  /**
   * An execution of `job` became prunable at `at` (a status change; an insert
   * counts itself): the kept count grows and `pruneAfter` follows (rules.ts
   * pruneAfterAdding).
   */
  private keepOne(job: JobRecord, at: number, retention: Retention): void {
    const kept = this.countKept(job.id, 1);
    job.pruneAfter = pruneAfterAdding(job.pruneAfter, kept, at, retention);
  }

  private lease(e: ExecutionRecord, owner: string, until: number): Claim {
    this.nextDue = undefined;
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

/** When a job with `staleAfterMs` goes stale, or null when it cannot (or already did, or is paused or completed). */
function staleAt(job: JobRecord): number | null {
  if (job.staleAfterMs === null || job.staleSince !== null) return null;
  if (job.paused || job.completedAt !== null) return null;
  return (job.stats.lastSuccessAt ?? job.createdAt) + job.staleAfterMs;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
