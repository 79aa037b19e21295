import type { JobRecord, StoreMaintenance, PruneParams } from '../store.js';
import { compareNewestFirst, isPrunable, pruneAfterPass, staleAt } from '../rules.js';
import { compareIds, copy, type MemoryState } from './state.js';

/** The memory store's maintenance part: pruning of history, staleness of jobs. */
export class MemoryMaintenance implements StoreMaintenance {
  constructor(private readonly state: MemoryState) {}

  async jobsToPrune({ now, limit }: { now: number; limit: number }): Promise<JobRecord[]> {
    return this.jobsWhere((job) => job.pruneAfter !== null && job.pruneAfter <= now)
      .sort((a, b) => (a.pruneAfter ?? 0) - (b.pruneAfter ?? 0) || compareIds(a.id, b.id))
      .slice(0, limit)
      .map(copy);
  }

  async executionsPrune(params: PruneParams): Promise<number> {
    const { jobId, retention, now, limit } = params;
    const job = this.state.jobs.get(jobId);
    if (!job || limit <= 0) return 0;
    const prunable = [...this.state.executions.values()]
      .filter((e) => e.jobId === jobId && isPrunable(e))
      .sort(compareNewestFirst);
    const cutoff = now - retention.maxAgeMs;
    const doomed = prunable
      .filter(
        (e, rank) => rank >= retention.keepLast || (e.finishedAt !== null && e.finishedAt < cutoff),
      )
      .reverse()
      .slice(0, limit);
    for (const e of doomed) this.state.deleteExecution(e);
    if (job.pruneAfter === params.expectedPruneAfter) {
      const gone = new Set(doomed);
      let oldest: number | null = null;
      for (const e of prunable) {
        if (gone.has(e) || e.finishedAt === null) continue;
        if (oldest === null || e.finishedAt < oldest) oldest = e.finishedAt;
      }
      const kept = this.state.keptOf(jobId);
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

  /** The jobs `test` accepts, without copying the whole map into an array first (100,000 jobs idle). */
  private jobsWhere(test: (job: JobRecord) => boolean): JobRecord[] {
    const found: JobRecord[] = [];
    for (const job of this.state.jobs.values()) if (test(job)) found.push(job);
    return found;
  }
}
