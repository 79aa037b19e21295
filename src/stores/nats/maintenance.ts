/**
 * The NATS store's maintenance part: pruning of finished executions (their
 * keys in the jobs bucket, deleted by compare-and-set once their job has
 * applied their debts, which its document then forgets) and
 * staleness of jobs, each decided on the mirror and written by
 * compare-and-set of the job's document.
 */
import { compareNewestFirst, pruneAfterPass, staleAt } from '../rules.js';
import type { JobRecord, StoreMaintenance, PruneParams } from '../store.js';
import { isSettledFinal, isWork, keyOf, without, type Stored, type Work } from './documents.js';
import type { ByInstant } from './due-index.js';
import { inFlight } from './inserts.js';
import type { Parts } from './nats-store.js';

/** The maintenance part of the NATS store. */
export class NatsMaintenance implements StoreMaintenance {
  constructor(private readonly parts: () => Parts) {}

  async jobsToPrune({ now, limit }: { now: number; limit: number }): Promise<JobRecord[]> {
    return this.jobsUpTo(this.parts().docs.documents.pruning, now, limit);
  }

  async executionsPrune(params: PruneParams): Promise<number> {
    const { jobId, retention, now, limit } = params;
    const { docs } = this.parts();
    if (limit <= 0 || !docs.known(jobId)) return 0;
    const prunable = this.settled(jobId).sort(([, a], [, b]) => compareNewestFirst(a, b));
    const cutoff = now - retention.maxAgeMs;
    const doomed = prunable
      .filter(
        ([, e], rank) =>
          rank >= retention.keepLast || (e.finishedAt !== null && e.finishedAt < cutoff),
      )
      .reverse()
      .slice(0, limit);
    const deleted = await this.deleteSettled(jobId, doomed);
    const gone = new Set(doomed.map(([key]) => key));
    let oldest: number | null = null;
    for (const [key, e] of prunable)
      if (!gone.has(key) && e.finishedAt !== null && (oldest === null || e.finishedAt < oldest))
        oldest = e.finishedAt;
    await docs.changeDocument(jobId, (doc) => {
      // The debts of the executions deleted: no key holds them any more.
      const forgotten = Object.entries(doc.applied).filter(([, id]) => deleted.has(id));
      doc.applied = without(
        doc.applied,
        forgotten.map(([owedId]) => owedId),
      );
      if (doc.job.pruneAfter !== params.expectedPruneAfter)
        return { answer: null, write: forgotten.length > 0 };
      const kept = docs.work.kept(keyOf(jobId));
      doc.job.pruneAfter = pruneAfterPass(now, doomed.length === limit, kept, oldest, retention);
      return { answer: null, write: true };
    });
    return deleted.size;
  }

  /**
   * The job's finished executions the mirror holds whose debts its document
   * has applied: one still owing its job is kept, so its statistics are
   * counted before it goes.
   */
  private settled(jobId: string): [string, Work][] {
    const { docs } = this.parts();
    const doc = docs.known(jobId)?.value;
    return [...docs.work.of(keyOf(jobId))].filter(([, value]) => isSettledFinal(value, doc));
  }

  /**
   * Deletes executions by compare-and-set of their keys, each if still
   * finished and settled: of two instances pruning at once, the one whose
   * delete applies counts it. Returns the ids deleted.
   */
  private async deleteSettled(jobId: string, doomed: [string, Work][]): Promise<Set<string>> {
    const { docs } = this.parts();
    const deleted = await inFlight(doomed, async ([key, e]) => {
      const changed = await docs.change<Stored, boolean>(key, (value) =>
        isWork(value) && value.id === e.id && isSettledFinal(value, docs.known(jobId)?.value)
          ? { answer: true, write: null }
          : { answer: false },
      );
      return changed?.answer === true;
    });
    return new Set(doomed.filter((_, i) => deleted[i]).map(([, e]) => e.id));
  }

  async jobsStale({ now, limit }: { now: number; limit: number }): Promise<JobRecord[]> {
    const { docs } = this.parts();
    const due = this.jobsUpTo(docs.documents.staling, now, limit);
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

  /** Copies of up to `limit` jobs whose instant in `order` is at most `now`, by instant then id. */
  private jobsUpTo(order: ByInstant, now: number, limit: number): JobRecord[] {
    const { docs } = this.parts();
    const found: { at: number; job: JobRecord }[] = [];
    for (const [at, key] of order.upTo(now)) {
      // The ties of the last one taken are read too, to be ordered by id with it.
      if (found.length >= limit && at !== found.at(-1)?.at) break;
      const job = docs.documentAt(key)?.job;
      if (job) found.push({ at, job });
    }
    const byOrder = (a: { at: number; job: JobRecord }, b: { at: number; job: JobRecord }) =>
      a.at - b.at || (a.job.id < b.job.id ? -1 : a.job.id > b.job.id ? 1 : 0);
    return found
      .sort(byOrder)
      .slice(0, limit)
      .map(({ job }) => job);
  }
}
