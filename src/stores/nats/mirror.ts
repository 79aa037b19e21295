/**
 * A bucket's mirror: the last value of every key, kept in memory from a KV
 * watch and from the store's own writes, so scans (what is due, what is
 * leased, listings) read no bucket. Writes never trust it: each is a
 * compare-and-set on the revision the mirror names, retried from a fresh
 * read when another instance moved the key first.
 *
 * Order: an own write is applied at once with its revision, and the watch's
 * older entries for that key are ignored; an own delete leaves a tombstone
 * at its marker's revision until the watch brings the delete itself (none
 * when the watch brought it first), so a later write of the key shows.
 */
import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/nats-core';
import { decode } from './documents.js';

/** A key's value in the mirror, with the revision it was read or written at. */
export interface Entry<T> {
  value: T;
  revision: number;
}

/**
 * Longest wait for a restarted watch to start before another start is tried:
 * no consumer is created until the cluster and the stream have leaders, and a
 * start meanwhile waits for the store's `timeoutMs` (it may still start later).
 */
const RESTART_WAIT_MS = 1_000;
/** Pause before a watch that failed to restart is tried again. */
const RESTART_RETRY_MS = 250;

/** A watched mirror of one bucket; `project` turns a stored value into what is kept. */
export class Mirror<S, T = S> {
  private readonly entries = new Map<string, Entry<T> | { value: null; revision: number }>();
  private kv: KV | undefined;
  /** The revision of the bucket's last message still held (see `lastHeldOf`). */
  private lastHeld: () => Promise<number> = async () => 0;
  private watcher: QueuedIterator<KvWatchEntry> | undefined;
  /** The last revision the watch brought: a restarted watch resumes after it. */
  private cursor = 0;
  /** Who waits for the watch to bring a revision (see {@link caughtUp}). */
  private readonly waiters = new Set<{ revision: number; done: (caughtUp: boolean) => void }>();
  private restarting: Promise<void> | undefined;
  private restartAgain = false;
  private stopped = false;

  /**
   * `onChange` gets a key's value kept before and after a change, and the
   * stored value the one after was made from (null: the key is gone).
   */
  constructor(
    private readonly project: (stored: S) => T,
    private readonly onChange: (
      key: string,
      before: T | null,
      after: T | null,
      stored: S | null,
    ) => void = () => undefined,
  ) {}

  /**
   * Starts the watch and resolves once the mirror holds what the bucket held
   * at the call; `lastHeld` tells the revision of its last message.
   */
  async start(kv: KV, lastHeld: () => Promise<number>): Promise<void> {
    this.kv = kv;
    this.lastHeld = lastHeld;
    this.stopped = false;
    await this.watch(kv);
    if (!(await this.caughtUp(Infinity))) throw new Error('the watch stopped before it caught up');
  }

  /**
   * Resolves true once the watch has brought every revision the bucket held at
   * the call (one request: its last message's revision), false when
   * `timeoutMs` passes first or the mirror stops: what another instance wrote
   * before the call is then here.
   */
  async caughtUp(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    let waiter: { revision: number; done: (caughtUp: boolean) => void } | undefined;
    let over = false;
    const late = new Promise<false>((resolve) => {
      if (timeoutMs !== Infinity) timer = setTimeout(() => resolve(false), timeoutMs).unref();
    });
    const caught = (async () => {
      const revision = await this.lastHeld();
      if (this.cursor >= revision || this.stopped || over) return !this.stopped && !over;
      return new Promise<boolean>((resolve) => {
        waiter = { revision, done: resolve };
        this.waiters.add(waiter);
      });
    })();
    try {
      return await Promise.race([caught, late]);
    } finally {
      over = true; // a late answer adds no waiter
      clearTimeout(timer);
      if (waiter) this.waiters.delete(waiter);
    }
  }

  /**
   * Starts the watch again after the last revision it brought: when its
   * server may be lost (a reconnect, a stream's new leader), a watch is silent
   * until its consumer's heartbeats are missed (10 s and more). The old watch
   * runs until a new one has started; starts are tried until one does, and
   * restarts asked for meanwhile make one more.
   */
  restart(): void {
    if (!this.kv || this.stopped) return;
    if (this.restarting) {
      // What asks again may tell that a start can succeed now (a leader elected): one at once.
      this.restartAgain = true;
      void this.watch(this.kv).catch(() => undefined);
      return;
    }
    const kv = this.kv;
    this.restarting = (async () => {
      do {
        this.restartAgain = false;
        while (!this.stopped && !(await this.tryWatch(kv)))
          await new Promise((resolve) => setTimeout(resolve, RESTART_RETRY_MS));
      } while (this.restartAgain && !this.stopped);
    })().finally(() => (this.restarting = undefined));
  }

  /** Stops the watch. */
  stop(): void {
    this.stopped = true;
    this.watcher?.stop();
    this.watcher = undefined;
    for (const waiter of this.waiters) waiter.done(false);
    this.waiters.clear();
  }

  /** True once a watch started within {@link RESTART_WAIT_MS}. */
  private async tryWatch(kv: KV): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), RESTART_WAIT_MS);
    });
    const started = this.watch(kv).then(
      () => true,
      () => false,
    );
    const result = await Promise.race([started, waited]);
    clearTimeout(timer);
    return result;
  }

  /**
   * Starts a watch from the revision after {@link cursor} (all last values at
   * first) in place of the one running. What the replaced one had not brought
   * comes from the new one, and twice is harmless: a bucket keeps one revision
   * per key, and one older than the mirror's is ignored.
   */
  private async watch(kv: KV): Promise<void> {
    const from = this.cursor + 1;
    const watcher = await kv.watch(from > 1 ? { resumeFromRevision: from } : {});
    if (this.stopped) {
      watcher.stop();
      return;
    }
    this.watcher?.stop();
    this.watcher = watcher;
    void (async () => {
      for await (const entry of watcher) {
        // Replaced by a restart: the new watch brings what this one held back.
        if (this.watcher !== watcher) break;
        this.cursor = Math.max(this.cursor, entry.revision);
        this.fromWatch(entry);
        for (const waiter of this.waiters)
          if (waiter.revision <= this.cursor) {
            this.waiters.delete(waiter);
            waiter.done(true);
          }
      }
    })();
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
    if (current && current.revision >= revision) return;
    this.set(key, { value: this.project(stored), revision }, stored);
  }

  /** Applies an own delete, its marker at `revision`. */
  deleted(key: string, revision: number): void {
    const current = this.entries.get(key);
    if (current && current.revision > revision) return;
    if (revision > this.cursor) this.set(key, { value: null, revision }, null);
    else if (current) this.set(key, undefined, null);
  }

  private fromWatch(entry: KvWatchEntry): void {
    const current = this.entries.get(entry.key);
    if (entry.operation !== 'PUT') {
      if (current && current.revision > entry.revision) return;
      this.set(entry.key, undefined, null);
      return;
    }
    if (current && current.revision >= entry.revision) return;
    const stored = decode<S>(entry.value);
    this.set(entry.key, { value: this.project(stored), revision: entry.revision }, stored);
  }

  private set(
    key: string,
    next: Entry<T> | { value: null; revision: number } | undefined,
    stored: S | null,
  ): void {
    const before = this.entries.get(key)?.value ?? null;
    if (next === undefined) this.entries.delete(key);
    else this.entries.set(key, next);
    this.onChange(key, before, next?.value ?? null, stored);
  }
}
