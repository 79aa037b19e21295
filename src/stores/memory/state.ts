import type { ExecutionRecord, JobRecord, Retention } from '../store.js';
import { isPrunable, pruneAfterAdding } from '../rules.js';

/**
 * The memory store's state — jobs, executions, the fire keys that make one
 * execution per fire, the per-job count of prunable executions — and the
 * writes that keep those in step. Shared by the store's parts (the store,
 * its registry, its maintenance); records are copied in and out, so no
 * caller shares objects with it.
 */
export class MemoryState {
  readonly jobs = new Map<string, JobRecord>();
  readonly executions = new Map<string, ExecutionRecord>();
  /** `jobId \0 fireAt` of scheduled fires: the uniqueness of one execution per fire. */
  private readonly fires = new Set<string>();
  /** Per job, how many prunable executions it keeps (rules.ts isPrunable). */
  private readonly kept = new Map<string, number>();
  /**
   * The earliest due instant as last computed, until a write may change it
   * (undefined: compute again). An idle instance asks every poll; with
   * 100,000 jobs a scan costs milliseconds, the cached answer nothing.
   */
  nextDue: number | null | undefined;

  /** Adds a job (its kept count starts at 0). */
  addJob(job: JobRecord): void {
    this.jobs.set(job.id, copy(job));
    this.kept.set(job.id, 0);
    this.nextDue = undefined;
  }

  /** Removes a job and its executions. */
  removeJob(id: string): void {
    this.jobs.delete(id);
    this.kept.delete(id);
    this.nextDue = undefined;
    for (const execution of this.executions.values()) {
      if (execution.jobId === id) this.deleteExecution(execution);
    }
  }

  /** Inserts an execution unless its id or fire is taken or its job is gone; counts it when it is prunable. */
  insertExecution(execution: ExecutionRecord): boolean {
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
  deleteExecution(execution: ExecutionRecord): void {
    this.executions.delete(execution.id);
    this.nextDue = undefined;
    const key = fireKey(execution);
    if (key !== null) this.fires.delete(key);
    if (isPrunable(execution)) this.countKept(execution.jobId, -1);
  }

  /** The job's kept count. */
  keptOf(jobId: string): number {
    return this.kept.get(jobId) ?? 0;
  }

  /** Adds `delta` to a job's kept count (never below 0); returns the new count. */
  countKept(jobId: string, delta: number): number {
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
  keepOne(job: JobRecord, at: number, retention: Retention): void {
    const kept = this.countKept(job.id, 1);
    job.pruneAfter = pruneAfterAdding(job.pruneAfter, kept, at, retention);
  }
}

function fireKey(e: ExecutionRecord): string | null {
  return e.trigger === 'schedule' ? `${e.jobId}\u0000${e.fireAt}` : null;
}

/** A deep copy: records go in and out of the store by value. */
export function copy<T>(value: T): T {
  return structuredClone(value);
}

/** Orders ids as the SQL stores do (by code point). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
