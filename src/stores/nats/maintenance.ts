/**
 * The NATS store's maintenance part: pruning of finished executions (the
 * history bucket's keys, found from its mirror, and their stubs in the jobs
 * bucket) and staleness of jobs, each decided on the mirror and written by
 * compare-and-set of the job's document.
 */
import { compareNewestFirst, pruneAfterPass, staleAt } from '../rules.js';
import type { JobRecord, Retention, StoreMaintenance } from '../store.js';
import { isDocument, keyOf, workKey, type HistorySummary, type Stored } from './documents.js';
import { inFlight } from './inserts.js';
import type { Parts } from './nats-store.js';

/** The maintenance part of the NATS store. */
export class NatsMaintenance implements StoreMaintenance {
  constructor(private readonly parts: () => Parts) {}

  async jobsToPrune({ now, limit }: { now: number; limit: number }): Promise<JobRecord[]> {
    return this.jobsWhere(
      (job) => job.pruneAfter !== null && job.pruneAfter <= now,
      (job) => job.pruneAfter ?? 0,
    ).slice(0, limit);
  }

  async executionsPrune(params: {
    jobId: string;
    retention: Retention;
    now: number;
    limit: number;
    expectedPruneAfter: number | null;
  }): Promise<number> {
    const { jobId, retention, now, limit } = params;
    const { docs, history } = this.parts();
    if (limit <= 0 || !docs.known(jobId)) return 0;
    const prunable: HistorySummary[] = [];
    for (const [, summary] of history.mirror.values())
      if (summary.jobId === jobId) prunable.push(summary);
    prunable.sort(compareNewestFirst);
    const cutoff = now - retention.maxAgeMs;
    const doomed = prunable
      .filter(
        (e, rank) => rank >= retention.keepLast || (e.finishedAt !== null && e.finishedAt < cutoff),
      )
      .reverse()
      .slice(0, limit);
    // The stub first: a crash between leaves a record the pruner still lists, never a stub it does not.
    await inFlight(doomed, (e) =>
      docs.change<Stored, null>(workKey(e), (value) =>
        'stub' in value && value.id === e.id ? { answer: null, write: null } : { answer: null },
      ),
    );
    const deleted = await history.remove(doomed, true);
    const gone = new Set(doomed);
    let oldest: number | null = null;
    for (const e of prunable)
      if (!gone.has(e) && e.finishedAt !== null && (oldest === null || e.finishedAt < oldest))
        oldest = e.finishedAt;
    await docs.changeDocument(jobId, (doc) => {
      if (doc.job.pruneAfter !== params.expectedPruneAfter) return { answer: null, write: false };
      const kept = docs.work.kept(keyOf(jobId));
      doc.job.pruneAfter = pruneAfterPass(now, doomed.length === limit, kept, oldest, retention);
      return { answer: null, write: true };
    });
    return deleted.length;
  }

  async jobsStale({ now, limit }: { now: number; limit: number }): Promise<JobRecord[]> {
    const { docs } = this.parts();
    const due = this.jobsWhere(
      (job) => (staleAt(job) ?? Infinity) <= now,
      (job) => staleAt(job) ?? 0,
    ).slice(0, limit);
    const marked = await Promise.all(
      due.map(async (candidate) => {
        const changed = await docs.changeDocument(candidate.id, (doc) => {
          const at = staleAt(doc.job);
          if (at === null || at > now) return { answer: null, write: false };
          doc.job.staleSince = now;
          return { answer: structuredClone(doc.job), write: true };
        });
        return changed?.answer ?? null;
      }),
    );
    return marked.filter((job) => job !== null);
  }

  /** Copies of the mirror's jobs `test` accepts, ordered by `order` then id. */
  private jobsWhere(
    test: (job: JobRecord) => boolean,
    order: (job: JobRecord) => number,
  ): JobRecord[] {
    const found: JobRecord[] = [];
    for (const [, value] of this.parts().docs.mirror.values())
      if (isDocument(value) && test(value.job)) found.push(value.job);
    return found
      .sort((a, b) => order(a) - order(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((job) => structuredClone(job));
  }
}
