/**
 * The jobs bucket: a document per job and a key per execution under it
 * (`documents.ts`), mirrored in memory (`mirror.ts`) for the scans — each
 * document packed (`packed-document.ts`), decoded when read — and changed
 * only by compare-and-set on a key's KV revision — the step that fences
 * every lease and outcome and makes each key's writes atomic.
 */
import { randomUUID } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import { unavailable } from './connection.js';
import {
  decode,
  dueOfDocument,
  dueOfWork,
  encode,
  isDocument,
  jobKeyOf,
  keyOf,
  type JobDocument,
  type Stored,
  type Work,
  upgraded,
} from './documents.js';
import { DocumentIndex } from './document-index.js';
import { copyJson } from './json-copy.js';
import { writeKey } from './key-write.js';
import type { Acks } from './publisher.js';
import { Markers, type Marker } from './markers.js';
import { Mirror, type Entry } from './mirror.js';
import { DueIndex } from './due-index.js';
import { packDocument, unpackDocument } from './packed-document.js';
import { WorkIndex } from './work-index.js';

/** A value of the jobs bucket as the mirror keeps it: an execution decoded, a job's document packed. */
export type Kept = Work | string;

/**
 * How many decoded documents {@link JobDocuments.known} keeps (~1 KB each):
 * more than the jobs a planning pass or a batch of claims works on at once
 * (up to 128 in flight), so a plan's read and its write decode once, and a
 * claim reads its job's decoded while claims alternate jobs.
 */
const DECODED_KEPT = 1_024;

/** Attempts of a compare-and-set before a write gives up on a key others keep moving. */
const CAS_ATTEMPTS = 50;
/**
 * How often the delete markers of the bucket's keys are purged (`markers.ts`):
 * at least the stream's duplicate window (2 minutes) after the delete, so a
 * key created again is not refused as a duplicate of its first create
 * (message id `<key>@0`, see `key-write.ts`).
 */
const PURGE_EVERY_MS = 120_000;

/** The jobs bucket, its mirror and the mirror's indexes: of executions, and of what comes due. */
export class JobDocuments {
  readonly mirror: Mirror<Stored, Kept>;
  readonly work = new WorkIndex();
  readonly due = new DueIndex();
  readonly documents = new DocumentIndex();
  /**
   * The documents {@link known} decoded last, by key, the most recent last
   * (at most {@link DECODED_KEPT}), each reused while the mirror keeps it.
   */
  private readonly decoded = new Map<string, { packed: string; doc: JobDocument }>();
  /** Called with the earliest due instant when a write makes work due sooner than it did. */
  private readonly sooner = new Set<(dueAt: number) => void>();
  /** Per key, the last of this process's writes to it (they go one after the other). */
  private readonly writing = new Map<string, Promise<unknown>>();
  private readonly markers: Markers;
  /** Batches of writes in progress ({@link together}), and the earliest due instant they hold back. */
  private holding = 0;
  private held: number | null = null;

  constructor(
    private readonly kv: KV,
    private readonly js: Acks,
    private readonly bucket: string,
    purge: (marker: Marker) => Promise<unknown>,
  ) {
    this.markers = new Markers(purge, PURGE_EVERY_MS);
    this.mirror = new Mirror<Stored, Kept>(
      (value) => (isDocument(value) ? packDocument(upgraded(value)) : value),
      (key, before, after, stored) => this.changed(key, before, after, stored),
    );
  }

  /** Applies a mirror change to the indexes; announces work made due sooner. */
  private changed(key: string, before: Kept | null, after: Kept | null, stored: Stored | null) {
    const was =
      before === null
        ? null
        : typeof before === 'string'
          ? this.due.documents.instantOf(key)
          : dueOfWork(before);
    this.work.change(
      key,
      typeof before === 'string' ? null : before,
      typeof after === 'string' ? null : after,
    );
    this.due.change(key, stored);
    if (typeof before === 'string' || typeof after === 'string') this.documents.change(key, stored);
    const due = stored && (isDocument(stored) ? dueOfDocument(stored) : dueOfWork(stored));
    if (due === null || due === undefined) return;
    if (was === null || due < was) this.announce(due);
  }

  /**
   * Runs `writes` with the announcements of work made due held back until
   * they are all done: a batch of writes to many keys is then seen by the
   * engine at once, as one transaction's would be, not key by key.
   */
  async together<T>(writes: () => Promise<T>): Promise<T> {
    this.holding += 1;
    try {
      return await writes();
    } finally {
      this.holding -= 1;
      const held = this.held;
      if (this.holding === 0 && held !== null) {
        this.held = null;
        for (const f of this.sooner) f(held);
      }
    }
  }

  private announce(due: number): void {
    if (this.holding > 0) this.held = this.held === null ? due : Math.min(this.held, due);
    else for (const f of this.sooner) f(due);
  }

  /** Subscribes to work made due sooner (by any instance's write). */
  onSooner(listener: (dueAt: number) => void): () => void {
    this.sooner.add(listener);
    return () => this.sooner.delete(listener);
  }

  /**
   * A job's document as the mirror knows it (decoded, shared with the next
   * caller: not to be changed), or undefined.
   */
  known(jobId: string): Entry<JobDocument> | undefined {
    const key = keyOf(jobId);
    const entry = this.mirror.get(key);
    if (entry === undefined || typeof entry.value !== 'string') return undefined;
    let decoded = this.decoded.get(key);
    this.decoded.delete(key);
    if (decoded?.packed !== entry.value)
      decoded = { packed: entry.value, doc: unpackDocument(entry.value) };
    this.decoded.set(key, decoded);
    if (this.decoded.size > DECODED_KEPT)
      this.decoded.delete(this.decoded.keys().next().value ?? key);
    return { value: decoded.doc, revision: entry.revision };
  }

  /**
   * An own copy of a value kept or stored at `key`: a packed document is
   * copied from its decoded form when {@link known} holds it (a plan and an
   * end read their job's document, then change it), else decoded.
   */
  private copyOf(key: string, value: Kept | Stored): Stored {
    if (typeof value !== 'string') return copyJson(value);
    const decoded = this.decoded.get(key);
    return decoded?.packed === value ? copyJson(decoded.doc) : unpackDocument(value);
  }

  /** The execution the mirror holds at `key`, or undefined (absent, or a job's document). */
  workAt(key: string): Work | undefined {
    const value = this.mirror.get(key)?.value;
    return typeof value === 'string' ? undefined : value;
  }

  /** A copy of the job's document the mirror holds at `key` (the caller's own), or undefined. */
  documentAt(key: string): JobDocument | undefined {
    const value = this.mirror.get(key)?.value;
    return typeof value === 'string' ? unpackDocument(value) : undefined;
  }

  /** True when the mirror holds the job's document. */
  has(jobId: string): boolean {
    return typeof this.mirror.get(keyOf(jobId))?.value === 'string';
  }

  /** A job's document as the bucket holds it now (the caller's own copy), or null. */
  async read(jobId: string): Promise<Entry<JobDocument> | null> {
    const entry = await this.readKey(keyOf(jobId));
    return entry && isDocument(entry.value) ? (entry as Entry<JobDocument>) : null;
  }

  /** A key's value as the bucket holds it now (the caller's own copy), or null. */
  async readKey(key: string): Promise<Entry<Stored> | null> {
    const entry = await this.kv.get(key).catch((err: unknown) => {
      throw unavailable(err, 'reading a job');
    });
    if (!entry || entry.operation !== 'PUT') return null;
    this.mirror.written(key, decode<Stored>(entry.value), entry.revision);
    // A copy of its own for the caller: what it changes stays out of the mirror.
    return { value: upgraded(decode<Stored>(entry.value)), revision: entry.revision };
  }

  /** Creates a key; its revision, or null when it exists. */
  async create(key: string, value: Stored): Promise<number | null> {
    let expected = 0;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const revision = await this.replace(key, value, expected);
      if (revision !== null) return revision;
      // A deleted key keeps its delete marker: the create expects the marker's revision.
      const entry = await this.kv.get(key).catch((err: unknown) => {
        throw unavailable(err, 'creating a key');
      });
      if (entry === null || entry.operation === 'PUT') return null;
      expected = entry.revision;
    }
    throw unavailable(new Error(`key ${key} kept changing`), 'creating a key');
  }

  /**
   * Writes a key (null: deletes it) if it is still at `revision` (0: absent);
   * the new revision, or null when it moved. Sent again while its outcome is
   * unknown, its revision in its message id (`key-write.ts`).
   */
  async replace(key: string, value: Stored | null, revision: number): Promise<number | null> {
    if (value !== null) value.writeId = randomUUID();
    const bytes = value === null ? null : encode(value);
    const write = { bucket: this.bucket, key, bytes, revision, doing: 'writing a job' };
    const seq = await writeKey(this.js, write, (publish) => this.inTurn(key, publish));
    if (seq === null) return null;
    if (value === null) this.forget(key, seq);
    else this.mirror.written(key, value, seq);
    return seq;
  }

  /**
   * Changes a key by compare-and-set: `change` gets a copy of the value as
   * last known and returns its answer and the value to write (undefined:
   * none, null: a delete); on a conflict it runs again on a fresh read.
   * Returns the answer of the run that counted, with the value it left and
   * its revision, or null when the key is absent.
   */
  async change<V extends Stored, R>(
    key: string,
    change: (value: V) => { answer: R; write?: V | null },
  ): Promise<{ answer: R; value: V | null; revision: number } | null> {
    // The mirror may lag another instance's write: a decision to write nothing
    // is taken again on a fresh read, a write fails its compare-and-set.
    let entry: Entry<Kept | Stored> | undefined = this.mirror.get(key);
    let fresh = false;
    if (!entry) [entry, fresh] = [(await this.readKey(key)) ?? undefined, true];
    for (let attempt = 0; attempt < CAS_ATTEMPTS && entry; attempt++) {
      const { answer, write } = change(this.copyOf(key, entry.value) as V);
      if (write === undefined && fresh)
        return { answer, value: entry.value as V, revision: entry.revision };
      if (write !== undefined) {
        const revision = await this.replace(key, write, entry.revision);
        if (revision !== null) return { answer, value: write, revision };
      }
      [entry, fresh] = [(await this.readKey(key)) ?? undefined, true];
    }
    if (!entry) return null;
    throw unavailable(new Error(`key ${key} kept changing`), 'writing a job');
  }

  /** Changes a job's document by compare-and-set (see {@link change}); null when the job is absent. */
  async changeDocument<R>(
    jobId: string,
    change: (doc: JobDocument) => { answer: R; write: boolean },
  ): Promise<{ answer: R; doc: JobDocument } | null> {
    const changed = await this.change<JobDocument, R>(keyOf(jobId), (doc) => {
      const { answer, write } = change(doc);
      return write ? { answer, write: doc } : { answer };
    });
    return changed && changed.value ? { answer: changed.answer, doc: changed.value } : null;
  }

  /** Deletes keys whatever their revision (the executions of a job removed). */
  async removeKeys(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 128)
      await Promise.all(
        keys.slice(i, i + 128).map(async (key) => {
          const write = { bucket: this.bucket, key, bytes: null, revision: null };
          const seq = await writeKey(this.js, { ...write, doing: 'deleting an execution' }, (p) =>
            this.inTurn(key, p),
          );
          if (seq !== null) this.forget(key, seq);
        }),
      );
  }

  /** An own delete of `key`, its marker at `revision`: out of the mirror, its marker purged later. */
  private forget(key: string, revision: number): void {
    this.mirror.deleted(key, revision);
    this.markers.deleted([{ key, revision }]);
  }

  /** Stops the mirror and the purging of markers. */
  stop(): void {
    this.mirror.stop();
    this.markers.stop();
  }

  /** Every key under a job's (its executions), also those the mirror does not hold yet. */
  async keysOf(jobId: string): Promise<string[]> {
    const keys = new Set(this.work.keysOf(keyOf(jobId)));
    try {
      for await (const key of await this.kv.keys(`${keyOf(jobId)}.>`)) keys.add(key);
    } catch (err) {
      throw unavailable(err, 'listing a job’s executions');
    }
    return [...keys].filter((key) => jobKeyOf(key) === keyOf(jobId));
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
