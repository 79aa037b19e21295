import type { Share } from '../instances.js';
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
  ClaimParams,
  TakeOverParams,
} from '../store.js';
import {
  isFinishable,
  isStartable,
  matchesJobFilter,
  isDroppedByChange,
  isPrunable,
  isUnfinishedForOverlap,
  compareNewestFirst,
  inShare,
  markMayHaveRun,
  mayHaveRunUnderLease,
  pruneAfterAdding,
  applyStats,
  applyFinish,
} from '../rules.js';
import { MemoryMaintenance } from './maintenance.js';
import { MemoryRegistry } from './registry.js';
import { MemoryState, compareIds, copy } from './state.js';

/**
 * The in-process store: state in maps, for tests and ephemeral use. Several
 * schedulers in one process may share one instance. Nothing survives the
 * process. It is the reference for the store contract; it copies records in and
 * out so no caller shares objects with it. Its state: `state.ts`; its
 * registry and maintenance parts: `registry.ts`, `maintenance.ts`.
 */
export class MemoryStore implements Store {
  readonly name = 'memory';
  readonly capabilities = { notify: false };
  private readonly state = new MemoryState();
  private readonly registry = new MemoryRegistry(this.state);
  readonly maintenance = new MemoryMaintenance(this.state);
  readonly instanceRegister = this.registry.instanceRegister.bind(this.registry);
  readonly instanceBeat = this.registry.instanceBeat.bind(this.registry);
  readonly instanceDeregister = this.registry.instanceDeregister.bind(this.registry);
  readonly instancesList = this.registry.instancesList.bind(this.registry);

  async open(): Promise<void> {}
  async close(): Promise<void> {}
  /** Nothing to migrate: the maps are the schema. */
  async migrate(): Promise<number[]> {
    return [];
  }

  async jobGet({ id }: { id: string }): Promise<JobRecord | null> {
    const job = this.state.jobs.get(id);
    return job ? copy(job) : null;
  }

  async jobsGet({ ids }: { ids: string[] }): Promise<JobRecord[]> {
    const found = new Map<string, JobRecord>();
    for (const id of ids) {
      const job = this.state.jobs.get(id);
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
      const version = versions.has(id) ? versions.get(id) : this.state.jobs.get(id)?.version;
      const ok =
        write.expectedVersion === null ? version === undefined : version === write.expectedVersion;
      if (!ok) failed.push(i);
      else versions.set(id, write.remove ? undefined : write.job.version);
    });
    if (failed.length > 0) return failed;
    // … then apply all, one after the other, with no other call in between.
    for (const write of writes) {
      if (write.expectedVersion === null) this.state.addJob(write.job);
      else if (write.remove) this.state.removeJob(write.job.id);
      else this.replaceJob(write.job, write.dropPlanned);
    }
    return [];
  }

  async jobDelete({ id }: { id: string }): Promise<boolean> {
    if (!this.state.jobs.has(id)) return false;
    this.state.removeJob(id);
    return true;
  }

  async jobsList(params: JobsListParams): Promise<JobRecord[]> {
    return [...this.state.jobs.values()]
      .filter(
        (job) =>
          (params.afterId === undefined || job.id > params.afterId) &&
          matchesJobFilter(job, params),
      )
      .sort((a, b) => compareIds(a.id, b.id))
      .slice(0, params.limit)
      .map(copy);
  }

  async nextDueAt(): Promise<number | null> {
    if (this.state.nextDue !== undefined) return this.state.nextDue;
    let next: number | null = null;
    const earlier = (t: number) => (next === null || t < next ? t : next);
    for (const job of this.state.jobs.values())
      if (!job.paused && job.nextFireAt !== null) next = earlier(job.nextFireAt);
    for (const e of this.state.executions.values())
      if (e.leaseOwner === null && hasWork(e)) next = earlier(e.runAt);
    this.state.nextDue = next;
    return next;
  }

  async jobsDue(params: { before: number; limit: number; share?: Share }): Promise<JobRecord[]> {
    const { before, limit, share } = params;
    const due: JobRecord[] = [];
    for (const job of this.state.jobs.values()) {
      const at = job.nextFireAt;
      if (!job.paused && at !== null && at <= before && inShare(job.id, at, share)) due.push(job);
    }
    return due
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
      const job = this.state.jobs.get(plan.jobId);
      if (
        !job ||
        job.version !== plan.expectedVersion ||
        job.nextFireAt !== plan.expectedNextFireAt
      )
        continue;
      applied.push(job.id);
      this.state.nextDue = undefined;
      job.nextFireAt = plan.nextFireAt;
      job.fireCount += plan.fires ?? 0;
      if (plan.completedAt !== null) job.completedAt = plan.completedAt;
      if (plan.lastOutcome !== null) job.lastOutcome = { ...plan.lastOutcome };
      for (const execution of plan.executions) {
        if (!this.state.insertExecution(execution)) continue;
        if (execution.status === 'missed') job.stats.missed += 1;
        if (execution.status === 'skipped') job.stats.skipped += 1;
        // The insert counted it among the kept ones; pruneAfter follows.
        if (isPrunable(execution)) {
          const at = execution.finishedAt ?? execution.createdAt;
          const kept = this.state.keptOf(job.id);
          job.pruneAfter = pruneAfterAdding(job.pruneAfter, kept, at, plan.retention);
        }
        if (execution.leaseOwner !== null)
          claims.push({ execution: copy(execution), job: copy(job) });
      }
    }
    return { claims, applied };
  }

  async executionInsert({ execution }: { execution: ExecutionRecord }): Promise<void> {
    this.state.insertExecution(execution);
  }

  async executionsInsert({ executions }: { executions: ExecutionRecord[] }): Promise<string[]> {
    return executions.filter((e) => this.state.insertExecution(e)).map((e) => e.id);
  }

  async executionGet({ id }: { id: string }): Promise<ExecutionRecord | null> {
    const execution = this.state.executions.get(id);
    return execution ? copy(execution) : null;
  }

  async executionsList(params: ExecutionsListParams): Promise<ExecutionRecord[]> {
    const { before } = params;
    return [...this.state.executions.values()]
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

  async executionsClaim(params: ClaimParams): Promise<Claim[]> {
    const due = [...this.state.executions.values()]
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

  async executionsTakeOver(params: TakeOverParams): Promise<Claim[]> {
    const expired = [...this.state.executions.values()]
      .filter((e) => e.leaseOwner !== null && e.leaseUntil !== null && e.leaseUntil < params.now)
      .sort((a, b) => (a.leaseUntil ?? 0) - (b.leaseUntil ?? 0))
      .slice(0, params.limit);
    return expired.map((e) => {
      const takenFrom = e.leaseOwner ?? '';
      if (mayHaveRunUnderLease(e)) markMayHaveRun(e);
      const claim = this.lease(e, params.owner, Math.max(e.runAt, params.now) + params.leaseMs);
      return Object.assign(claim, { takenFrom });
    });
  }

  async executionsStart({ starts }: { starts: StartRequest[] }): Promise<StartResult[]> {
    // nextDueAt stays: a start leaves its execution leased.
    return starts.map((start) => {
      const e = this.state.executions.get(start.id);
      if (!e || e.leaseToken !== start.leaseToken || e.leaseOwner === null) return 'rejected';
      if (!isStartable(e) || e.attempt !== start.attempt - 1) return 'rejected';
      if (start.unlessOverlapping && this.hasUnfinishedBefore(e)) return 'overlapping';
      if (start.abandoned) e.attempts.push(copy(start.abandoned));
      e.status = 'running';
      e.attempt = start.attempt;
      e.startedAt = start.startedAt;
      return 'started';
    });
  }

  async executionsMarkRunning({ marks }: { marks: RunningMark[] }): Promise<string[]> {
    const marked: string[] = [];
    for (const mark of marks) {
      const e = this.state.executions.get(mark.id);
      if (!e || e.leaseToken !== mark.leaseToken || e.leaseOwner === null) continue;
      if (e.status !== 'scheduled') continue;
      Object.assign(e, { status: 'running', attempt: mark.attempt, startedAt: mark.startedAt });
      marked.push(mark.id);
    }
    return marked;
  }

  async executionsFinish({ finishes }: { finishes: FinishRequest[] }): Promise<boolean[]> {
    this.state.nextDue = undefined;
    return finishes.map((finish) => {
      const e = this.state.executions.get(finish.id);
      if (!e || e.leaseToken !== finish.leaseToken || e.leaseOwner === null) return false;
      if (!isFinishable(e, finish)) return false;
      applyFinish(e, finish);
      const job = this.state.jobs.get(e.jobId);
      if (!job) return true;
      if (finish.lastOutcome) job.lastOutcome = { ...finish.lastOutcome };
      if (finish.stats) applyStats(job, finish.stats);
      // A finish starts from a state that is not prunable (isFinishable): prunable now means it became so.
      if (isPrunable(e)) this.state.keepOne(job, finish.finishedAt ?? e.fireAt, finish.retention);
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
      const e = this.state.executions.get(lease.id);
      if (e && e.leaseToken === lease.leaseToken && e.leaseOwner === params.owner) {
        e.leaseUntil = params.until;
        renewed.push(lease.id);
      }
    }
    return renewed;
  }

  async leasesRelease({ leases }: { leases: LeaseRef[] }): Promise<void> {
    this.state.nextDue = undefined;
    for (const lease of leases) {
      const e = this.state.executions.get(lease.id);
      if (e && e.leaseToken === lease.leaseToken) {
        e.leaseOwner = null;
        e.leaseUntil = null;
      }
    }
  }

  /**
   * A compare-and-set update (checked by the caller): what the store keeps
   * itself — statistics, the fire count, staleness, the pruner's next look —
   * stays, so an end or a plan written since the caller read the job is not
   * lost. A planned fire dropped did not happen: it leaves the fire count.
   */
  private replaceJob(next: JobRecord, dropPlanned: boolean): void {
    const current = this.state.jobs.get(next.id);
    if (!current) return;
    const job: JobRecord = {
      ...copy(next),
      stats: current.stats,
      fireCount: current.fireCount,
      staleSince: current.staleSince,
      pruneAfter: current.pruneAfter,
    };
    this.state.jobs.set(job.id, job);
    this.state.nextDue = undefined;
    if (!dropPlanned) return;
    for (const execution of this.state.executions.values()) {
      if (execution.jobId !== job.id || !isDroppedByChange(execution)) continue;
      this.state.deleteExecution(execution);
      job.completedAt = null;
      job.fireCount = Math.max(0, job.fireCount - 1);
    }
  }

  private lease(e: ExecutionRecord, owner: string, until: number): Claim {
    this.state.nextDue = undefined;
    e.leaseOwner = owner;
    e.leaseUntil = until;
    e.leaseToken += 1;
    const job = this.state.jobs.get(e.jobId);
    if (!job) throw new Error(`execution ${e.id} has no job ${e.jobId}`);
    return { execution: copy(e), job: copy(job) };
  }

  private hasUnfinishedBefore(execution: ExecutionRecord): boolean {
    for (const other of this.state.executions.values()) {
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

/** Creates an in-process store (nothing survives the process). */
export function memoryStore(): MemoryStore {
  return new MemoryStore();
}
