/**
 * The NATS store's batch of job writes (`Store.jobsWrite`): every write is
 * checked first, each seeing what the ones before it leave; then each job's
 * document is written once, by create or compare-and-set. KV has no
 * transaction across keys: when a job moved between the check and its write,
 * the writes already done are put back (a job another write moved since is
 * left as it is).
 */
import { isDroppedByChange } from '../rules.js';
import type { JobRecord, JobWrite } from '../store.js';
import type { JobDocument } from './documents.js';
import type { JobDocuments } from './job-documents.js';

/** Applies a batch of job writes; returns the indexes of those that could not be applied (then nothing was written). */
export async function writeJobs(docs: JobDocuments, writes: JobWrite[]): Promise<number[]> {
  // Check all first, each write seeing what the earlier ones leave …
  const planned = new Map<string, Planned>();
  const failed: number[] = [];
  for (const [i, write] of writes.entries()) {
    const { id } = write.job;
    if (!planned.has(id)) {
      const entry = await docs.read(id);
      const before = entry?.value ?? null;
      planned.set(id, { before, doc: before, revision: entry?.revision ?? null });
    }
    const current = planned.get(id);
    if (!current) continue;
    const version = current.doc?.job.version;
    const ok =
      write.expectedVersion === null ? version === undefined : version === write.expectedVersion;
    if (!ok) failed.push(i);
    else current.doc = current.doc ? replaced(current.doc, write) : newDocument(write.job);
  }
  if (failed.length > 0) return failed;
  // … then write each job once; a job moved meanwhile undoes the writes before it.
  const done: Planned[] = [];
  for (const [id, write] of planned) {
    const { doc, revision } = write;
    if (!doc) continue;
    const ok = revision === null ? await docs.create(doc) : await docs.replace(doc, revision);
    if (!ok) {
      await undo(docs, done);
      return [writes.findIndex((w) => w.job.id === id)];
    }
    done.push(write);
  }
  return [];
}

/** A new job's document. */
function newDocument(job: JobRecord): JobDocument {
  return { job: structuredClone(job), active: [], fires: [], kept: 0 };
}

/**
 * A compare-and-set update: what the store keeps itself — statistics,
 * staleness, the pruner's next look — stays; `dropPlanned` deletes the
 * planned fires nobody holds.
 */
function replaced(current: JobDocument, write: JobWrite): JobDocument {
  const { stats, staleSince, pruneAfter } = current.job;
  const job = { ...structuredClone(write.job), stats, staleSince, pruneAfter };
  const doc = { ...current, job };
  if (!write.dropPlanned) return doc;
  const kept = current.active.filter((e) => !isDroppedByChange(e));
  if (kept.length < current.active.length) job.completedAt = null;
  return { ...doc, active: kept };
}

/** A job write of a batch: the document before, the one to write, the revision it replaces (null: a create). */
interface Planned {
  before: JobDocument | null;
  doc: JobDocument | null;
  revision: number | null;
}

/**
 * Puts back the documents of a batch's writes done before one that failed
 * (a job another write moved since is left as it is).
 */
async function undo(docs: JobDocuments, done: Planned[]): Promise<void> {
  for (const { before, doc } of done.reverse()) {
    if (!doc) continue;
    const entry = await docs.read(doc.job.id);
    if (!entry || entry.value.job.version !== doc.job.version) continue;
    if (before) await docs.replace(before, entry.revision);
    else await docs.remove(doc.job.id, entry.revision);
  }
}
