/**
 * What the scans over the jobs' documents read, kept up to date by the
 * mirror's changes: the pruner's and the staleness check's instants, and the
 * documents that name applied debts (the settler's sweep). The mirror keeps
 * each document packed (`packed-document.ts`), so a scan decodes only the
 * documents these name, not every job's.
 */
import { staleAt } from '../rules.js';
import { ByInstant } from './due-index.js';
import { isDocument, type Stored } from './documents.js';

/** The orders and the set of the jobs bucket's documents (see the module comment). */
export class DocumentIndex {
  /** Document keys by the pruner's next look (`pruneAfter`). */
  readonly pruning = new ByInstant();
  /** Document keys by the instant their job becomes stale (`staleAt`). */
  readonly staling = new ByInstant();
  /** Document keys whose document names applied debts. */
  readonly owing = new Set<string>();

  /** Applies a mirror change of a document's `key` (null: gone). */
  change(key: string, after: Stored | null): void {
    const doc = after !== null && isDocument(after) ? after : null;
    this.pruning.set(key, doc?.job.pruneAfter ?? null);
    this.staling.set(key, doc ? staleAt(doc.job) : null);
    if (doc && Object.keys(doc.applied).length > 0) this.owing.add(key);
    else this.owing.delete(key);
  }
}
