/**
 * A bucket's mirror: the last value of every key, kept in memory from a KV
 * watch and from the store's own writes, so scans (what is due, what is
 * leased, listings) read no bucket. Writes never trust it: each is a
 * compare-and-set on the revision the mirror names, retried from a fresh
 * read when another instance moved the key first.
 *
 * Order: an own write is applied at once with its revision, and the watch's
 * older entries for that key are ignored; an own delete leaves a tombstone
 * that ignores the watch until the watch brings the delete itself.
 */
import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/nats-core';
import { decode } from './documents.js';

/** A key's value in the mirror, with the revision it was read or written at. */
export interface Entry<T> {
  value: T;
  revision: number;
}

/** Revision of a tombstone whose delete the watch has not brought yet. */
const PENDING = Number.MAX_SAFE_INTEGER;

/** A watched mirror of one bucket; `project` turns a stored value into what is kept. */
export class Mirror<S, T = S> {
  private readonly entries = new Map<string, Entry<T> | { value: null; revision: number }>();
  private watcher: QueuedIterator<KvWatchEntry> | undefined;
  /** Bumped by every change, so derived answers can be cached until the next one. */
  generation = 0;

  constructor(
    private readonly project: (stored: S) => T,
    private readonly onChange: (key: string, before: T | null, after: T | null) => void = () =>
      undefined,
  ) {}

  /** Starts the watch and resolves once the mirror holds what the bucket held at the call. */
  async start(kv: KV): Promise<void> {
    const last = (await kv.status()).streamInfo.state.last_seq;
    const watcher = await kv.watch();
    this.watcher = watcher;
    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    if (last === 0) caughtUp();
    void (async () => {
      for await (const entry of watcher) {
        this.fromWatch(entry);
        if (entry.revision >= last) caughtUp();
      }
    })();
    await ready;
  }

  /** Stops the watch. */
  stop(): void {
    this.watcher?.stop();
    this.watcher = undefined;
  }

  /** The key's value and revision, or undefined when absent. */
  get(key: string): Entry<T> | undefined {
    const entry = this.entries.get(key);
    return entry && entry.value !== null ? (entry as Entry<T>) : undefined;
  }

  /** Every present value with its key. */
  *values(): IterableIterator<[string, T]> {
    for (const [key, entry] of this.entries) if (entry.value !== null) yield [key, entry.value];
  }

  /** Applies an own write of `stored` at `revision`. */
  written(key: string, stored: S, revision: number): void {
    const current = this.entries.get(key);
    if (current && current.revision >= revision && current.revision !== PENDING) return;
    this.set(key, { value: this.project(stored), revision });
  }

  /** Applies an own delete (its revision comes with the watch). */
  deleted(key: string): void {
    this.set(key, { value: null, revision: PENDING });
  }

  private fromWatch(entry: KvWatchEntry): void {
    const current = this.entries.get(entry.key);
    if (entry.operation !== 'PUT') {
      if (current && current.revision !== PENDING && current.revision > entry.revision) return;
      this.set(entry.key, undefined);
      return;
    }
    if (current && current.revision >= entry.revision) return;
    this.set(entry.key, { value: this.project(decode<S>(entry.value)), revision: entry.revision });
  }

  private set(key: string, next: Entry<T> | { value: null; revision: number } | undefined): void {
    const before = this.entries.get(key)?.value ?? null;
    if (next === undefined) this.entries.delete(key);
    else this.entries.set(key, next);
    this.generation += 1;
    this.onChange(key, before, next?.value ?? null);
  }
}
