/**
 * Settling what executions owe their jobs. A write that ends an execution
 * (or records a missed fire, or drops a planned one) spans two keys — the
 * execution's and its job's document — and KV has no transaction across
 * keys, so it goes in an order where a crash between any two steps loses
 * nothing and counts nothing twice:
 *
 * 1. the execution's key is written with its new state (a finished one: its
 *    final record) and its debt to the job (`owed`, with a random id) — the
 *    fenced step, which decides;
 * 2. the job's document applies the debt and records its id in `applied`
 *    (a compare-and-set: a debt already in `applied` is not applied again);
 * 3. the execution's key drops the debt (a dropped fire's key is deleted): a
 *    finished one keeps its final record there until the pruner deletes it;
 *    while the document names few debts ({@link IN_PLACE}) a finished one
 *    keeps its applied debt too, and this step is left to the pruner;
 * 4. the document forgets the debt's id (at its next write, `forgetSettled`;
 *    for a debt kept in place, at the pruner's write once the key is deleted).
 *
 * Anyone may run steps 2–4 again for a key still holding a debt its
 * document has not applied, or an unfinished or dropped one's applied debt
 * ({@link Settler.sweep}, at each take-over pass): step 2 is skipped for a
 * debt the document has applied, step 3 writes only a key still holding that
 * debt, and step 4 forgets only ids no key owes.
 */
import { applyStats, pruneAfterAdding } from '../rules.js';
import {
  isClearedFinal,
  isSettledFinal,
  isWork,
  workKey,
  without,
  type JobDocument,
  type Owed,
  type Stored,
  type Work,
} from './documents.js';
import { SETTLE_BATCH } from './debt-queue.js';
import type { JobDocuments } from './job-documents.js';
import type { Parts } from './nats-store.js';
import { randomId } from './random-id.js';

/** Applies the debts of an execution its job's document has not applied; `kept`: the finished executions the job keeps. */
export function applyOwed(doc: JobDocument, work: Work, kept: number): boolean {
  const { job } = doc;
  const fresh = (work.owed ?? []).filter((owed) => doc.applied[owed.id] === undefined);
  for (const owed of fresh) {
    if (owed.lastOutcome) job.lastOutcome = { ...owed.lastOutcome };
    if (owed.stats) applyStats(job, owed.stats);
    if (owed.fires) job.fireCount = Math.max(0, job.fireCount + owed.fires);
    if (owed.reopen) job.completedAt = null;
    if (owed.prune)
      job.pruneAfter = pruneAfterAdding(job.pruneAfter, kept, owed.prune.at, owed.prune.retention);
    doc.applied[owed.id] = work.id;
  }
  return fresh.length > 0;
}

/**
 * Most debts a job's document names while a finished execution's applied
 * debts stay in its key: a job's few last ends cost two writes, not three
 * (a one-shot's only end, most of a burst's), and its document grows by
 * about 60 bytes each.
 */
export const IN_PLACE = 8;

/** Adds a debt to an execution (after those it still has). */
export function addOwed(work: Work, owed: Omit<Owed, 'id'>): void {
  work.owed = [...(work.owed ?? []), { id: randomId(), ...owed }];
}

/** True when a work value must be settled: it owes its job, or is a dropped fire not yet deleted. */
export function isUnsettled(value: Stored): value is Work {
  return isWork(value) && ((value.owed?.length ?? 0) > 0 || value.dropped === true);
}

/**
 * Steps 2–4 for executions of one job whose step 1 is written, a batch at a
 * time: a batch's debts are forgotten by the document once its keys are
 * rewritten, so the document names at most a few batches' debts.
 */
export async function settle(parts: Parts, jobId: string, works: Work[]): Promise<void> {
  const unsettled = works.filter(isUnsettled);
  for (let i = 0; i < unsettled.length; i += SETTLE_BATCH)
    await settleBatch(parts, jobId, unsettled.slice(i, i + SETTLE_BATCH));
}

async function settleBatch(parts: Parts, jobId: string, works: Work[]): Promise<void> {
  const owing = works.filter((w) => (w.owed?.length ?? 0) > 0);
  if (owing.length > 0) await parts.debts.add(jobId, owing);
  await Promise.all(works.map((w) => complete(parts, w)));
}

/** Step 2 on a copy of a document: applies what `works` owe; true when it changed it. */
export function applyDebts(
  docs: JobDocuments,
  doc: JobDocument,
  works: Work[],
  kept: number,
): boolean {
  let wrote = false;
  for (const w of works) wrote = applyOwed(doc, w, kept) || wrote;
  if (wrote) forgetSettled(docs, doc);
  return wrote;
}

/**
 * Step 4, done by the next write of the document: forgets the debts of
 * finished executions the mirror shows with no debt left
 * ({@link isClearedFinal}: so only once every debt of the execution is
 * settled). A debt kept in place is forgotten by the pruner; what no later
 * write forgets — the last batch of a job that is never written again, a
 * dropped fire's key deleted, a retried execution's debts — by
 * {@link Settler.sweep}, or it stays, a few bytes.
 */
export function forgetSettled(docs: JobDocuments, doc: JobDocument): void {
  const settled = Object.entries(doc.applied).filter(([, id]) => isCleared(docs, id));
  if (settled.length > 0)
    doc.applied = without(
      doc.applied,
      settled.map(([owedId]) => owedId),
    );
}

/** True when the mirror holds this execution finished with no debt left. */
function isCleared(docs: JobDocuments, id: string): boolean {
  const key = docs.work.keyOf(id);
  const value = key === undefined ? undefined : docs.workAt(key);
  return value !== undefined && isClearedFinal(value) && value.id === id;
}

/**
 * Step 3 for one execution: its key, if it still holds it, drops the debts
 * settled (a dropped fire's key is deleted) — but a finished one's, while its
 * document names no more than {@link IN_PLACE} debts.
 */
async function complete(parts: Parts, work: Work): Promise<void> {
  const doc = parts.docs.known(work.jobId)?.value;
  if (isSettledFinal(work, doc) && Object.keys(doc?.applied ?? {}).length <= IN_PLACE) return;
  const settled = new Set((work.owed ?? []).map((owed) => owed.id));
  await parts.docs.change<Stored, null>(workKey(work), (current) => {
    if (!isWork(current) || current.id !== work.id) return { answer: null };
    const had = current.owed ?? [];
    const left = had.filter((owed) => !settled.has(owed.id));
    if (left.length > 0)
      return left.length === had.length
        ? { answer: null }
        : { answer: null, write: { ...current, owed: left } };
    if (current.dropped) return { answer: null, write: null };
    if (had.length === 0) return { answer: null };
    delete current.owed;
    return { answer: null, write: current };
  });
}

/** Recovers what a crashed writer left unsettled. */
export class Settler {
  /** Keys (and document debts) unsettled at the last sweep. */
  private seen = new Set<string>();

  constructor(private readonly parts: () => Parts) {}

  /**
   * Settles what was already unsettled at the sweep before (so a writer's own
   * steps are not raced), and forgets the debts a document still names that no
   * key owes any more (a writer that crashed before step 4).
   */
  async sweep(): Promise<void> {
    const parts = this.parts();
    const { docs } = parts;
    const now = new Set<string>();
    const byJob = new Map<string, Work[]>();
    for (const [key, value] of docs.work.entries()) {
      if (!isUnsettled(value) || isSettledFinal(value, docs.known(value.jobId)?.value)) continue;
      now.add(key);
      if (this.seen.has(key)) byJob.set(value.jobId, [...(byJob.get(value.jobId) ?? []), value]);
    }
    const stale = new Map<string, string[]>();
    for (const key of docs.documents.owing) {
      const value = docs.documentAt(key);
      if (!value) continue;
      for (const [owedId, id] of Object.entries(value.applied)) {
        const holder = docs.work.keyOf(id);
        const current = holder === undefined ? undefined : docs.workAt(holder);
        if (current && isWork(current) && current.owed?.some((o) => o.id === owedId)) continue;
        if (current && isClearedFinal(current) && current.id === id) continue; // forgotten by the next write
        const mark = `${key}#${id}@${owedId}`;
        now.add(mark);
        if (this.seen.has(mark))
          stale.set(value.job.id, [...(stale.get(value.job.id) ?? []), owedId]);
      }
    }
    this.seen = now;
    await Promise.all([...byJob].map(([jobId, works]) => settle(parts, jobId, works)));
    await Promise.all(
      [...stale].map(([jobId, debts]) =>
        docs.changeDocument(jobId, (doc) => {
          const gone = debts.filter((owedId) => doc.applied[owedId] !== undefined);
          doc.applied = without(doc.applied, gone);
          return { answer: null, write: gone.length > 0 };
        }),
      ),
    );
  }
}
