/**
 * The NATS store's batch of job writes (`Store.jobsWrite`): every write is
 * checked first, each seeing what the ones before it leave; then each job's
 * document is written once, by create or compare-and-set. KV has no
 * transaction across keys: when a job moved between the check and its write,
 * the writes already done are put back (a job another write moved since is
 * left as it is). A removal deletes the job's document by compare-and-set and,
 * once every write of the batch is done, its history.
 */
import { isDroppedByChange } from '../rules.js';
import type { JobRecord, JobWrite } from '../store.js';
import type { JobDocument } from './documents.js';
import type { History } from './history.js';
import type { JobDocuments } from './job-documents.js';

/** Applies a batch of job writes; returns the indexes of those that could not be applied (then nothing was written). */
export async function writeJobs(
  docs: JobDocuments,
  history: History,
  writes: JobWrite[],
): Promise<number[]> {
  // Check all first, each write seeing what the earlier ones leave …
  const planned = new Map<string, Planned>();
  const failed: number[] = [];
  for (const [i, write] of writes.entries()) {
    const { id } = write.job;
    if (!planned.has(id)) {
      const entry = await docs.read(id);
      const before = entry?.value ?? null;
      planned.set(id, { before, doc: before, revision: entry?.revision ?? null, removed: false });
    }
    const current = planned.get(id);
    if (!current) continue;
    const version = current.doc?.job.version;
    const ok =
      write.expectedVersion === null ? version === undefined : version === write.expectedVersion;
    if (!ok) failed.push(i);
    else if (write.remove) current.doc = null;
    else current.doc = current.doc ? replaced(current.doc, write) : newDocument(write.job);
    current.removed = current.doc === null && current.before !== null;
  }
  if (failed.length > 0) return failed;
  // … then write each job once; a job moved meanwhile undoes the writes before it.
  const done: Planned[] = [];
  for (const [id, write] of planned) {
    const { doc, revision } = write;
    if (!doc && !write.removed) continue;
    const ok = await writeOne(docs, id, doc, revision);
    if (!ok) {
      await undo(docs, done);
      return [writes.findIndex((w) => w.job.id === id)];
    }
    done.push(write);
  }
  for (const { removed, before } of done)
    if (removed && before) await history.removeJob(before.job.id);
  return [];
}

/** Writes a job's new document, or removes it (`doc` null), by compare-and-set. */
async function writeOne(
  docs: JobDocuments,
  id: string,
  doc: JobDocument | null,
  revision: number | null,
): Promise<boolean> {
  if (doc === null) return revision !== null && docs.remove(id, revision);
  return revision === null ? docs.create(doc) : docs.replace(doc, revision);
}

/** A new job's document. */
function newDocument(job: JobRecord): JobDocument {
  return { job: structuredClone(job), active: [], fires: [], kept: 0 };
}

/**
 * A compare-and-set update: what the store keeps itself — statistics, the
 * fire count, staleness, the pruner's next look — stays; `dropPlanned` deletes the
 * planned fires nobody holds.
 */
function replaced(current: JobDocument, write: JobWrite): JobDocument {
  const { stats, fireCount, staleSince, pruneAfter } = current.job;
  const job = { ...structuredClone(write.job), stats, fireCount, staleSince, pruneAfter };
  const doc = { ...current, job };
  if (!write.dropPlanned) return doc;
  const kept = current.active.filter((e) => !isDroppedByChange(e));
  const dropped = current.active.length - kept.length;
  // A planned fire dropped did not happen: it leaves the fire count.
  if (dropped > 0) [job.completedAt, job.fireCount] = [null, Math.max(0, fireCount - dropped)];
  return { ...doc, active: kept };
}

/**
 * A job write of a batch: the document before, the one to write, the
 * revision it replaces (null: a create), and whether the job is removed.
 */
interface Planned {
  before: JobDocument | null;
  doc: JobDocument | null;
  revision: number | null;
  removed: boolean;
}

/**
 * Puts back the documents of a batch's writes done before one that failed
 * (a job another write moved since is left as it is).
 */
async function undo(docs: JobDocuments, done: Planned[]): Promise<void> {
  for (const { before, doc } of done.reverse()) {
    if (!doc) {
      if (before) await docs.create(before);
      continue;
    }
    const entry = await docs.read(doc.job.id);
    if (!entry || entry.value.job.version !== doc.job.version) continue;
    if (before) await docs.replace(before, entry.revision);
    else await docs.remove(doc.job.id, entry.revision);
  }
}
