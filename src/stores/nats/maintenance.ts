/**
 * The NATS store's maintenance part: pruning of finished executions (the
 * history bucket's keys, found from its mirror) and staleness of jobs, each
 * decided on the mirror and written by compare-and-set of the job's document.
 */
import { compareNewestFirst, pruneAfterPass, staleAt } from '../rules.js';
import type { JobRecord, Retention, StoreMaintenance } from '../store.js';
import { keyOf, type HistorySummary } from './documents.js';
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
    if (limit <= 0 || !docs.mirror.get(keyOf(jobId))) return 0;
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
    const deleted = await history.remove(doomed, true);
    const gone = new Set(doomed);
    let oldest: number | null = null;
    for (const e of prunable)
      if (!gone.has(e) && e.finishedAt !== null && (oldest === null || e.finishedAt < oldest))
        oldest = e.finishedAt;
    await docs.change(jobId, (doc) => {
      doc.kept = Math.max(0, doc.kept - deleted.length);
      for (const e of deleted) {
        const at = e.trigger === 'schedule' ? doc.fires.indexOf(e.fireAt) : -1;
        if (at >= 0) doc.fires.splice(at, 1);
      }
      if (doc.job.pruneAfter === params.expectedPruneAfter)
        doc.job.pruneAfter = pruneAfterPass(
          now,
          doomed.length === limit,
          doc.kept,
          oldest,
          retention,
        );
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
        const changed = await docs.change(candidate.id, (doc) => {
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
    for (const [, { job }] of this.parts().docs.mirror.values()) if (test(job)) found.push(job);
    return found
      .sort((a, b) => order(a) - order(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((job) => structuredClone(job));
  }
}
