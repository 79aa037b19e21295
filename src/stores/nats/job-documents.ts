/**
 * The jobs bucket: one document per job (`documents.ts`), mirrored in memory
 * (`mirror.ts`) for the scans, and changed only by compare-and-set on a
 * document's KV revision — the one step that makes each job's writes atomic
 * and fences every lease and outcome.
 */
import { randomUUID } from 'node:crypto';
import { JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { unavailable } from './connection.js';
import { decode, dueOf, encode, keyOf, type JobDocument } from './documents.js';
import { Mirror, type Entry } from './mirror.js';

/**
 * How long a write whose outcome is unknown (a lost server, a stream without
 * a leader, a timeout) is sent again before it fails: longer than a JetStream
 * stream's leader election (4–7 s measured on nats-server 2.9.10, 13 s once
 * under load). A write given up on may still be applied: its fires would wait
 * for their lease.
 */
const UNKNOWN_OUTCOME_MS = 20_000;
/**
 * Longest wait for the acknowledgement of one send of a write (the store's
 * `timeoutMs` when shorter): a send to a server lost meanwhile is answered by
 * none, and is sent again after this rather than after `timeoutMs`.
 */
export const ACK_TIMEOUT_MS = 2_000;
/** Pause before a write of unknown outcome is sent again. */
const RESEND_AFTER_MS = 250;
/** Attempts of a compare-and-set before a write gives up on a key others keep moving. */
const CAS_ATTEMPTS = 50;

/**
 * True when a write failed because the key's revision was not the expected
 * one, or another write from the same revision was first (a duplicate
 * message id, see {@link JobDocuments.replace}).
 */
export function isConflict(err: unknown): boolean {
  return (
    (err instanceof JetStreamApiError && err.code === 10071) ||
    (err instanceof Error && /wrong last sequence|duplicate message/i.test(err.message))
  );
}

/** The jobs bucket and its mirror. */
export class JobDocuments {
  readonly mirror: Mirror<JobDocument>;
  /** Called with the earliest due instant when a document makes work due sooner than it did. */
  private readonly sooner = new Set<(dueAt: number) => void>();
  /** Execution id to job id, for the executions with work the mirror holds. */
  private readonly active = new Map<string, string>();
  /** Per job key, the last of this process's writes to it (they go one after the other). */
  private readonly writing = new Map<string, Promise<unknown>>();

  constructor(
    private readonly kv: KV,
    private readonly js: JetStreamClient,
    private readonly bucket: string,
  ) {
    this.mirror = new Mirror<JobDocument>(
      (doc) => doc,
      (_key, before, after) => {
        for (const e of before?.active ?? []) this.active.delete(e.id);
        for (const e of after?.active ?? []) this.active.set(e.id, e.jobId);
        const due = after && dueOf(after);
        if (due === null || due === undefined) return;
        const was = before && dueOf(before);
        if (was === null || was === undefined || due < was) for (const f of this.sooner) f(due);
      },
    );
  }

  /** Subscribes to work made due sooner (by any instance's write). */
  onSooner(listener: (dueAt: number) => void): () => void {
    this.sooner.add(listener);
    return () => this.sooner.delete(listener);
  }

  /** The job of an execution with work, as the mirror knows it. */
  jobOfActive(id: string): string | undefined {
    return this.active.get(id);
  }

  /** The job's document as the bucket holds it now (the caller's own copy), or null. */
  async read(jobId: string): Promise<Entry<JobDocument> | null> {
    const key = keyOf(jobId);
    const entry = await this.kv.get(key).catch((err: unknown) => {
      throw unavailable(err, 'reading a job');
    });
    if (!entry || entry.operation !== 'PUT') return null;
    this.mirror.written(key, decode<JobDocument>(entry.value), entry.revision);
    // A copy of its own for the caller: what it changes stays out of the mirror.
    return { value: decode<JobDocument>(entry.value), revision: entry.revision };
  }

  /** Creates a job's document; false when the job exists. */
  async create(doc: JobDocument): Promise<boolean> {
    const key = keyOf(doc.job.id);
    try {
      this.mirror.written(key, doc, await this.inTurn(key, () => this.kv.create(key, encode(doc))));
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw unavailable(err, 'creating a job');
    }
  }

  /**
   * Writes a document if the job is still at `revision`; false when it moved.
   * The write names its revision twice: as the expected last sequence of the
   * key, and in its message id (`<key>@<revision>`). On a NATS cluster before
   * 2.9.21 the leader checks the expected sequence against what it has
   * applied, so two writes in flight from one revision can both pass
   * (nats-server#4320); the message id is staged by the leader before it
   * proposes, so the second is refused as a duplicate.
   */
  async replace(doc: JobDocument, revision: number): Promise<boolean> {
    const key = keyOf(doc.job.id);
    doc.writeId = randomUUID();
    const bytes = encode(doc);
    const publish = () =>
      this.js.publish(`$KV.${this.bucket}.${key}`, bytes, {
        msgID: `${key}@${revision}`,
        expect: { lastSubjectSequence: revision },
      });
    const giveUpAt = Date.now() + UNKNOWN_OUTCOME_MS;
    for (;;) {
      try {
        const ack = await this.inTurn(key, publish);
        const ours = !ack.duplicate || (await this.holds(ack.seq, bytes));
        if (ours) this.mirror.written(key, doc, ack.seq);
        return ours;
      } catch (err) {
        if (isConflict(err)) return false;
        // The outcome is unknown (a server lost mid-write, a timeout): the same message
        // again is written now, or answered as the duplicate of the one that was.
        if (Date.now() >= giveUpAt) throw unavailable(err, 'writing a job');
        await new Promise((resolve) => setTimeout(resolve, RESEND_AFTER_MS));
      }
    }
  }

  /** True when the bucket's message `seq` is `bytes` (a duplicate that was this process's own write). */
  private async holds(seq: number, bytes: Uint8Array): Promise<boolean> {
    const manager = await this.js.jetstreamManager(false);
    const stored = await manager.streams.getMessage(`KV_${this.bucket}`, { seq });
    return stored !== null && Buffer.compare(Buffer.from(stored.data), Buffer.from(bytes)) === 0;
  }

  /** Deletes a job's document if it is still at `revision`; false when it moved. */
  async remove(jobId: string, revision: number): Promise<boolean> {
    const key = keyOf(jobId);
    try {
      await this.inTurn(key, () => this.kv.delete(key, { previousSeq: revision }));
      this.mirror.deleted(key);
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw unavailable(err, 'deleting a job');
    }
  }

  /**
   * Changes a job's document by compare-and-set: `change` gets a copy of the
   * document as last known and returns its answer and whether to write the
   * copy; on a conflict it runs again on a fresh read. Returns the answer of
   * the run that counted, with the document it left, or null when the job is absent.
   * `prepare` runs before each write (what must be written before the document).
   */
  async change<R>(
    jobId: string,
    change: (doc: JobDocument) => { answer: R; write: boolean },
    prepare?: (answer: R) => Promise<void>,
  ): Promise<{ answer: R; doc: JobDocument } | null> {
    // The mirror may lag another instance's write: a decision to write nothing
    // is taken again on a fresh read, a write fails its compare-and-set.
    let entry = this.mirror.get(keyOf(jobId));
    let fresh = false;
    if (!entry) [entry, fresh] = [(await this.read(jobId)) ?? undefined, true];
    for (let attempt = 0; attempt < CAS_ATTEMPTS && entry; attempt++) {
      const doc = structuredClone(entry.value);
      const { answer, write } = change(doc);
      if (!write && fresh) return { answer, doc: entry.value };
      if (write) {
        await prepare?.(answer);
        if (await this.replace(doc, entry.revision)) return { answer, doc };
      }
      [entry, fresh] = [(await this.read(jobId)) ?? undefined, true];
    }
    if (!entry) return null;
    throw unavailable(new Error(`job ${jobId} kept changing`), 'writing a job');
  }

  /**
   * Runs this process's writes to one key one after the other. On a NATS 2.9
   * cluster before 2.9.21 a compare-and-set is checked by the stream leader
   * before it is replicated, against what it has applied: two writes in flight
   * at once naming the same revision can both pass (nats-server#4320). A write
   * sent only once the one before it was acknowledged is checked against it.
   */
  private inTurn<T>(key: string, write: () => Promise<T>): Promise<T> {
    const before = this.writing.get(key) ?? Promise.resolve();
    const next = before.then(write, write);
    const settled = next.catch(() => undefined);
    this.writing.set(key, settled);
    void settled.then(() => {
      if (this.writing.get(key) === settled) this.writing.delete(key);
    });
    return next;
  }
}
