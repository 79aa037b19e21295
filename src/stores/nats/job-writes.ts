/**
 * The NATS store's batch of job writes (`Store.jobsWrite`): every write is
 * checked first, each seeing what the ones before it leave (a job whose
 * first write is an insert is taken as absent, unread); then each job's
 * document is written once, by create or compare-and-set, many in flight at
 * once (onto what the store's own plans, ends and prunes wrote since the
 * check). KV has no transaction across keys: when a job moved to another
 * version (or was taken, or removed) between the check and its write, the
 * writes done are put back (a job another write moved since is left as it
 * is). Then, for the jobs whose planned fires a
 * write drops, each fire nobody holds is dropped by its own key (settling the
 * fire count it gives back, `settle.ts`); a removal deletes the job's
 * executions, with work or finished.
 */
import { isDroppedByChange } from '../rules.js';
import type { JobRecord, JobWrite } from '../store.js';
import {
  hasWork,
  keyOf,
  versionOfTag,
  newDocument,
  type JobDocument,
  type Stored,
  type Work,
} from './documents.js';
import { markDropped } from './adopt.js';
import { inFlight } from './inserts.js';
import type { JobDocuments } from './job-documents.js';
import type { Parts } from './nats-store.js';
import { settle } from './settle.js';

/**
 * Applies a batch of job writes; returns the indexes of those that could not
 * be applied (then nothing was written). With `readAll`, jobs inserted are
 * read too (the check again after an insert found its id taken, for the full answer).
 */
export async function writeJobs(
  parts: Parts,
  writes: JobWrite[],
  readAll = false,
): Promise<number[]> {
  const { docs } = parts;
  const { planned, failed } = await check(docs, writes, readAll);
  // Nothing is written: the answer names every write that fails, inserts unread too.
  if (failed.length > 0) return readAll ? failed : (await check(docs, writes, true)).failed;
  // … then write each job once; a job moved meanwhile undoes the writes done.
  const changing = [...planned.values()].filter((p) => p.doc !== null || p.before !== null);
  const done = await inFlight(changing, async (p) => ((await writeOne(docs, p)) ? p : null));
  const moved = changing.find((_, i) => done[i] === null);
  if (moved) {
    await undo(
      parts,
      done.filter((p) => p !== null),
    );
    if (!readAll && moved.revision === null) return writeJobs(parts, writes, true);
    const id = (moved.doc ?? moved.before)?.job.id;
    return [writes.findIndex((w) => w.job.id === id)];
  }
  for (const p of changing) {
    if (p.doc === null && p.before) await removeExecutions(parts, p.before.job.id);
    else if (p.drop && p.doc) await dropPlanned(parts, p.doc.job.id, p.doc.job.version);
  }
  return [];
}

/**
 * Checks every write, each seeing what the earlier ones leave. A job whose
 * first write is an insert is not read (unless `readAll`): its create fails if it exists.
 */
async function check(
  docs: JobDocuments,
  writes: JobWrite[],
  readAll: boolean,
): Promise<{ planned: Map<string, Planned>; failed: number[] }> {
  const firsts = new Map<string, JobWrite>();
  for (const w of writes) if (!firsts.has(w.job.id)) firsts.set(w.job.id, w);
  const ids = [...firsts.keys()];
  const entries = await inFlight(ids, async (id) =>
    !readAll && firsts.get(id)?.expectedVersion === null ? null : docs.read(id),
  );
  const planned = new Map<string, Planned>();
  ids.forEach((id, i) => {
    const entry = entries[i] ?? null;
    const before = entry?.value ?? null;
    const revision = entry?.revision ?? null;
    planned.set(id, { before, doc: before, revision, drop: false, fresh: false });
  });
  const failed: number[] = [];
  for (const [i, write] of writes.entries()) {
    const current = planned.get(write.job.id);
    if (!current) continue;
    const version = current.doc?.job.version;
    const ok =
      write.expectedVersion === null ? version === undefined : version === write.expectedVersion;
    if (!ok) failed.push(i);
    else if (write.remove) current.doc = null;
    else if (current.doc)
      current.doc = replaced(current.doc, { job: write.job, dropBelow: current.doc.dropBelow });
    else [current.doc, current.fresh] = [newDocument(write.job), true];
    if (ok && write.dropPlanned && current.doc)
      [current.drop, current.doc.dropBelow] = [true, write.job.version];
  }
  return { planned, failed };
}

/** Deletes a removed job's executions, with work or finished. */
export async function removeExecutions(parts: Parts, jobId: string): Promise<void> {
  const { docs } = parts;
  await docs.removeKeys(await docs.keysOf(jobId));
}

/**
 * Drops the job's planned fires nobody holds, as its mirror knows them, but
 * those planned on `version` (the one just written) or later: a plan of the
 * new version may have applied already. Each is marked dropped, owing the
 * fire count back, by compare-and-set of its key (a fire claimed meanwhile
 * stays), then settled (its key deleted).
 */
async function dropPlanned(parts: Parts, jobId: string, version: number): Promise<void> {
  const { docs } = parts;
  const doomed = (value: Stored): value is Work =>
    hasWork(value) && isDroppedByChange(value) && !(versionOfTag(value.plan) >= version);
  const dropped = await inFlight([...docs.work.of(keyOf(jobId))], async ([key, seen]) => {
    if (!doomed(seen)) return null;
    const changed = await docs.change<Stored, Work | null>(key, (value) => {
      if (!doomed(value)) return { answer: null };
      markDropped(value);
      return { answer: value, write: value };
    });
    return changed?.answer ?? null;
  });
  const works = dropped.filter((w) => w !== null);
  if (works.length > 0) await settle(parts, jobId, works);
}

/**
 * Writes a job's new document, or removes it (`doc` null), by compare-and-set.
 * The store's own writes of the document since the check (a plan, an end, a
 * prune: the job's version unchanged) are no conflict: the write is made again
 * onto the document as it is now, keeping what they wrote, as a SQL store's
 * update of the row would. False when the job moved (another version, or gone).
 */
async function writeOne(docs: JobDocuments, p: Planned): Promise<boolean> {
  const key = keyOf((p.doc ?? p.before)?.job.id ?? '');
  if (p.revision === null) return p.doc !== null && (await docs.create(key, p.doc)) !== null;
  if ((await docs.replace(key, p.doc, p.revision)) !== null) return true;
  const version = p.before?.job.version;
  const changed = await docs.change<JobDocument, boolean>(key, (current) => {
    if (current.job.version !== version) return { answer: false };
    return { answer: true, write: onto(current, p.doc, p.fresh) };
  });
  return changed?.answer ?? false;
}

/**
 * A compare-and-set update: what the store keeps itself — statistics, the
 * fire count, staleness, the pruner's next look, its bookkeeping — stays.
 * The job record comes from `written` (a write, or a document: a write made
 * again, or put back, with the drop it names).
 */
function replaced(
  current: JobDocument,
  written: Pick<JobDocument, 'job' | 'dropBelow'>,
): JobDocument {
  const { stats, fireCount, staleSince, pruneAfter } = current.job;
  const job: JobRecord = {
    ...structuredClone(written.job),
    stats,
    fireCount,
    staleSince,
    pruneAfter,
  };
  const doc: JobDocument = { ...current, job };
  if (written.dropBelow !== undefined) doc.dropBelow = written.dropBelow;
  else delete doc.dropBelow;
  return doc;
}

/**
 * A batch's document (null: the job removed) written again onto the document
 * as it is now, keeping what the store wrote since; a new one (`fresh`: the
 * batch removed the job and inserted it again) as it is.
 */
function onto(current: JobDocument, doc: JobDocument | null, fresh: boolean): JobDocument | null {
  return doc === null || fresh ? doc : replaced(current, doc);
}

/**
 * A job write of a batch: the document before, the one to write, the
 * revision it replaces (null: a create), whether its unheld planned fires are
 * dropped, and whether the document is a new one (the batch removed the job
 * and inserted it again) rather than the one before with the batch's writes.
 */
interface Planned {
  before: JobDocument | null;
  doc: JobDocument | null;
  revision: number | null;
  drop: boolean;
  fresh: boolean;
}

/**
 * Puts back the documents of a batch's writes done before one that failed
 * (a job another write moved since is left as it is). What the store wrote
 * since (a plan, an end: the version unchanged) stays, as in {@link writeOne};
 * a job created by the batch is removed with any fire a plan made of it meanwhile.
 */
async function undo(parts: Parts, done: Planned[]): Promise<void> {
  const { docs } = parts;
  await inFlight(done, async ({ before, doc, fresh }) => {
    const id = (doc ?? before)?.job.id ?? '';
    if (!doc) {
      if (before) await docs.create(keyOf(id), before);
      return;
    }
    const undone = await docs.change<JobDocument, boolean>(keyOf(id), (current) => {
      if (current.job.version !== doc.job.version) return { answer: false };
      return { answer: true, write: onto(current, before, fresh) };
    });
    if (undone?.answer && before === null) await removeExecutions(parts, id);
  });
}
