/**
 * What the NATS store keeps in its jobs bucket. A job is a small document
 * under its own key (the job record and the bookkeeping of writes that span
 * keys); each of its executions, with work or finished and still kept, is a
 * key of its own under the job's (`<job key>.<execution key>`), so a write
 * costs the same whatever a job's backlog. A schedule's fire is keyed by its
 * instant (`f<fireAt>`): a KV create of that key is the one execution per
 * `(jobId, fireAt)`. A finished execution's record stays in its key until the
 * pruner deletes it.
 *
 * What an execution's write owes its job (statistics, last outcome, fire
 * count, the pruner's next look) is written into the execution's key first
 * (`owed`), then applied to the job's document, which names the debts it has
 * applied (`applied`), so applying one twice is seen and a crash between the
 * two writes loses nothing (`settle.ts`).
 */
import { isPrunable } from '../rules.js';
import { copyJson } from './json-copy.js';
import type { LastOutcome } from '../../model/job.js';
import type { ExecutionRecord, JobRecord, Retention, StatsDelta } from '../store.js';

/** A job's document in the jobs bucket. */
export interface JobDocument {
  job: JobRecord;
  /** Debts applied (`Owed.id` to the execution's id), until the execution's key drops them. */
  applied: Record<string, string>;
  /**
   * The starts checked for overlap that may still be unfinished, by
   * execution id: its fire and the revision its key had before the start
   * was written (see `overlap.ts`).
   */
  starts: Record<string, { fireAt: number; revision: number }>;
  /**
   * The last plans applied, the newest last, at most {@link PLANS_KEPT}: each
   * one's tag (`planTag`) and the next fire it left — its window is from the
   * tag's next fire to that one. A planner whose own write's acknowledgement
   * was lost finds it here even after later writes (`inserts.ts` `coveredBy`).
   */
  plans?: AppliedPlan[];
  /**
   * The version written by the last write that dropped the job's planned
   * fires nobody held: an unleased planned fire of an older version is
   * dropped, by that write's drop, which may not have reached it yet (a plan
   * of the new version that meets it there takes it as dropped, `adopt.ts`).
   */
  dropBelow?: number;
  /**
   * A random id of the write that stored this version: two writers who make
   * the same change still store different bytes, so a writer can tell its own
   * write from another's (see `JobDocuments.replace`).
   */
  writeId?: string;
}

/** What an execution's write owes its job's document. */
export interface Owed {
  /** A random id, recorded in the document's `applied` once applied. */
  id: string;
  stats?: StatsDelta;
  lastOutcome?: LastOutcome;
  /** Added to the job's fire count (a dropped planned fire: -1). */
  fires?: number;
  /** The job is reopened (`completedAt` cleared). */
  reopen?: boolean;
  /** The execution became prunable at `at`: the pruner's next look is planned by `retention`. */
  prune?: { at: number; retention: Retention };
}

/** An execution in its key: its record, what it owes its job, the plan that made it. */
export interface Work extends ExecutionRecord {
  /** Its debts to its job not yet settled, oldest first. */
  owed?: Owed[];
  /** The tag of the plan that inserted it (`planTag`). */
  plan?: string;
  /**
   * The instance its plan leased it to: while that instance holds it at the
   * plan's lease token (1), no claim or take-over has leased it since.
   */
  planLease?: string;
  /** A dropped planned fire: its key is deleted once its debt is applied. */
  dropped?: boolean;
  /** A random id of the write that stored this version (see `JobDocument.writeId`). */
  writeId?: string;
}

/** A plan applied to a job's document: its tag and the next fire it left. */
export type AppliedPlan = [tag: string, nextFireAt: number | null];

/** How many of the last plans applied a job's document names (`JobDocument.plans`). */
export const PLANS_KEPT = 4;

/** A value of the jobs bucket. */
export type Stored = JobDocument | Work;

/** A KV key for an id: base64url of its UTF-8 (KV keys allow `[-/_=.a-zA-Z0-9]`). */
export function keyOf(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/** The id a job's key names (see {@link keyOf}). */
export function idOfKey(key: string): string {
  return Buffer.from(key, 'base64url').toString('utf8');
}

/** The jobs bucket's key of an execution: its job's key, a dot, `f<fireAt>` for a schedule's fire, else `x<id key>`. */
export function workKey(e: Pick<ExecutionRecord, 'id' | 'jobId' | 'fireAt' | 'trigger'>): string {
  const own = e.trigger === 'schedule' ? `f${e.fireAt}` : `x${keyOf(e.id)}`;
  return `${keyOf(e.jobId)}.${own}`;
}

/** The job key of a jobs-bucket key (a job's own key, or an execution's under it). */
export function jobKeyOf(key: string): string {
  const dot = key.indexOf('.');
  return dot < 0 ? key : key.slice(0, dot);
}

/** The tag of a plan: the job's version and next fire it was made on (two planners of one job make one tag). */
export function planTag(expectedVersion: number, expectedNextFireAt: number): string {
  return `${expectedVersion}:${expectedNextFireAt}`;
}

/** The job version a plan tag was made on (NaN for an execution no plan made). */
export function versionOfTag(tag: string | undefined): number {
  return tag === undefined ? Number.NaN : Number(tag.slice(0, tag.indexOf(':')));
}

/** True for a job's document (not an execution's key). */
export function isDocument(value: Stored): value is JobDocument {
  return 'job' in value;
}

/** True for an execution (not a job's document). */
export function isWork(value: Stored): value is Work {
  return !('job' in value);
}

/**
 * True for a finished execution with no debt left in its key: it stays so
 * until the pruner deletes it (a finished execution is written once with a
 * debt, then once without), so a mirror that shows it, however late, shows
 * every debt it had settled.
 */
export function isClearedFinal(value: Stored): value is Work {
  return isWork(value) && !value.dropped && isPrunable(value) && (value.owed?.length ?? 0) === 0;
}

/** True for a finished execution whose debts its job's document has all applied (cleared from its key or not). */
export function isSettledFinal(value: Stored, doc: JobDocument | undefined): boolean {
  return (
    isWork(value) &&
    !value.dropped &&
    isPrunable(value) &&
    doc !== undefined &&
    (value.owed ?? []).every((owed) => doc.applied[owed.id] === value.id)
  );
}

/** The execution record of a work value, without the store's bookkeeping. */
export function recordOf(work: Work): ExecutionRecord {
  const { owed: _o, plan: _p, planLease: _l, dropped: _d, writeId: _w, ...record } = copyJson(work);
  return record;
}

/** A copy of a record without some of its keys. */
export function without<V>(record: Record<string, V>, keys: Iterable<string>): Record<string, V> {
  const drop = new Set(keys);
  return Object.fromEntries(Object.entries(record).filter(([key]) => !drop.has(key)));
}

/**
 * A value as read from the bucket, brought to this version's form in place: a
 * job's document written by an earlier chime names its definition's `hash`,
 * which is no longer kept (equal definitions are compared as JSON).
 */
export function upgraded<T extends Stored>(value: T): T {
  if (isDocument(value)) delete (value.job as { hash?: unknown }).hash;
  return value;
}

/** A new job's document. */
export function newDocument(job: JobRecord): JobDocument {
  return { job: structuredClone(job), applied: {}, starts: {} };
}

/** True when a work value still has work (scheduled, running, or an onFailure delivery pending). */
export function hasWork(value: Stored): value is Work {
  return isWork(value) && !value.dropped && !isPrunable(value);
}

/** The instant a work value makes work due (unleased work), or null. */
export function dueOfWork(value: Stored): number | null {
  return hasWork(value) && value.leaseOwner === null ? value.runAt : null;
}

/** The instant a document makes work due (an unpaused next fire), or null. */
export function dueOfDocument(doc: JobDocument): number | null {
  return doc.job.paused ? null : doc.job.nextFireAt;
}

const decoder = new TextDecoder();

/** JSON bytes of a value. */
export function encode(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}

/** The value of JSON bytes. */
export function decode<T>(bytes: Uint8Array): T {
  return JSON.parse(decoder.decode(bytes)) as T;
}
