/**
 * What the NATS store keeps in its KV buckets. A job is one document: the
 * job record, its executions that still have work (scheduled, running, or
 * failed with an onFailure delivery pending) and what it must know of its
 * finished ones — the fires they answered and how many it keeps. Every write
 * that touches a job and the work it holds is one compare-and-set of that one
 * key (its KV revision), so the store contract's per-job atomicity needs no
 * transaction. A finished execution moves to the history bucket, written
 * once, deleted by the pruner.
 */
import { isPrunable } from '../rules.js';
import type { ExecutionRecord, JobRecord } from '../store.js';

/** A job's document in the jobs bucket. */
export interface JobDocument {
  job: JobRecord;
  /** The job's executions that have work, in insertion order. */
  active: ExecutionRecord[];
  /** `fireAt` of the job's finished schedule executions still kept (one execution per fire). */
  fires: number[];
  /** How many finished (prunable) executions the job keeps in the history bucket. */
  kept: number;
  /**
   * A random id of the write that stored this version: two writers who make
   * the same change still store different bytes, so a writer can tell its own
   * write from another's (see `JobDocuments.replace`).
   */
  writeId?: string;
}

/** What the store remembers of a finished execution, from the history bucket's watch. */
export interface HistorySummary {
  id: string;
  jobId: string;
  fireAt: number;
  status: ExecutionRecord['status'];
  trigger: ExecutionRecord['trigger'];
  finishedAt: number | null;
}

/** A KV key for an id: base64url of its UTF-8 (KV keys allow `[-/_=.a-zA-Z0-9]`). */
export function keyOf(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/** The history bucket's key of an execution: its job's key, a dot, its own. */
export function historyKey(jobId: string, executionId: string): string {
  return `${keyOf(jobId)}.${keyOf(executionId)}`;
}

/** The id a key was made from. */
export function idOf(key: string): string {
  return Buffer.from(key, 'base64url').toString('utf8');
}

/** The summary of a finished execution. */
export function summaryOf(e: ExecutionRecord): HistorySummary {
  const { id, jobId, fireAt, status, trigger, finishedAt } = e;
  return { id, jobId, fireAt, status, trigger, finishedAt };
}

/** Counts a finished execution in its job's document (its record goes to the history bucket). */
export function countFinished(doc: JobDocument, e: ExecutionRecord): void {
  if (!isPrunable(e)) return;
  doc.kept += 1;
  if (e.trigger === 'schedule') doc.fires.push(e.fireAt);
}

/** True when a document holds an execution of the schedule for `fireAt`, active or finished. */
export function firesAt(doc: JobDocument, fireAt: number): boolean {
  return (
    doc.fires.includes(fireAt) ||
    doc.active.some((e) => e.trigger === 'schedule' && e.fireAt === fireAt)
  );
}

/** The earliest instant a document makes work due (unpaused next fire, unleased work), or null. */
export function dueOf(doc: JobDocument): number | null {
  let due = !doc.job.paused ? doc.job.nextFireAt : null;
  for (const e of doc.active)
    if (e.leaseOwner === null && (due === null || e.runAt < due)) due = e.runAt;
  return due;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** JSON bytes of a value. */
export function encode(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** The value of JSON bytes. */
export function decode<T>(bytes: Uint8Array): T {
  return JSON.parse(decoder.decode(bytes)) as T;
}
