/**
 * The jobs bucket mirror's index of executions: each job's execution keys,
 * the key of each execution id, and how many finished executions each job
 * keeps — kept up to date by the mirror's changes, so the scans (claims,
 * overlap, listings) and the retention count read no bucket.
 */
import { isPrunable } from '../rules.js';
import { isDocument, jobKeyOf, type Stored, type Work } from './documents.js';

/** The index of the executions the mirror holds. */
export class WorkIndex {
  private readonly byJob = new Map<string, Map<string, Work>>();
  private readonly keys = new Map<string, string>();
  private readonly finished = new Map<string, number>();

  /** Applies a mirror change of `key`. */
  change(key: string, before: Stored | null, after: Stored | null): void {
    if (before && !isDocument(before)) this.remove(key, before);
    if (after && !isDocument(after)) this.add(key, after);
  }

  /** The key of an execution the mirror holds, or undefined. */
  keyOf(id: string): string | undefined {
    return this.keys.get(id);
  }

  /** Every execution the mirror holds, with its key. */
  *entries(): IterableIterator<[string, Work]> {
    for (const job of this.byJob.values()) yield* job.entries();
  }

  /** The executions the mirror holds of the job with this key. */
  *of(jobKey: string): IterableIterator<[string, Work]> {
    yield* this.byJob.get(jobKey)?.entries() ?? [];
  }

  /** The execution keys the mirror holds of the job with this key. */
  keysOf(jobKey: string): string[] {
    return [...(this.byJob.get(jobKey)?.keys() ?? [])];
  }

  /** How many finished (prunable) executions the job with this key keeps, as the mirror knows. */
  kept(jobKey: string): number {
    return this.finished.get(jobKey) ?? 0;
  }

  private add(key: string, value: Work): void {
    const jobKey = jobKeyOf(key);
    let job = this.byJob.get(jobKey);
    if (!job) this.byJob.set(jobKey, (job = new Map()));
    job.set(key, value);
    this.keys.set(value.id, key);
    if (isFinished(value)) this.finished.set(jobKey, this.kept(jobKey) + 1);
  }

  private remove(key: string, value: Work): void {
    const jobKey = jobKeyOf(key);
    const job = this.byJob.get(jobKey);
    job?.delete(key);
    if (job?.size === 0) this.byJob.delete(jobKey);
    if (this.keys.get(value.id) === key) this.keys.delete(value.id);
    if (!isFinished(value)) return;
    const kept = this.kept(jobKey) - 1;
    if (kept > 0) this.finished.set(jobKey, kept);
    else this.finished.delete(jobKey);
  }
}

/** True for a finished execution the job keeps. */
function isFinished(value: Work): boolean {
  return !value.dropped && isPrunable(value);
}
