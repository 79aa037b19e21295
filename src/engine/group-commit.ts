import { nextTurn } from './next-turn.js';

/** How a {@link GroupCommit} groups and sends its batches. */
export interface GroupCommitOptions<Req> {
  /**
   * Holds a batch that is not full back while it returns true: the caller
   * has more urgent work for this thread (calling targets due now), and the
   * batch only grows meanwhile.
   */
  deferWhile?: () => boolean;
  /**
   * Batches in flight at once (default 1). Beyond the first, a lane takes
   * only a full batch: a backlog is written on several connections, steady
   * traffic still shares one statement.
   */
  lanes?: number;
  /**
   * Requests of one key are written in the order they were added: one of a
   * key in flight holds the key's later ones back until its batch is done.
   */
  keyOf?: (req: Req) => string;
}

interface Pending<Req, Res> {
  req: Req;
  key: string | undefined;
  resolve: (res: Res) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: requests made while a write is in flight (or within the same
 * turn of the event loop) go to the store together, as one call. One fire
 * costs a share of a statement, not a round trip of its own.
 */
export class GroupCommit<Req, Res> {
  private pending: Pending<Req, Res>[] = [];
  private inFlight = 0;
  /** Requests in flight per key (only with `keyOf`). */
  private readonly busy = new Map<string, number>();
  private scheduled = false;
  private readonly deferWhile: () => boolean;
  private readonly lanes: number;
  private readonly keyOf: ((req: Req) => string) | undefined;

  constructor(
    private readonly write: (reqs: Req[]) => Promise<Res[]>,
    private readonly maxBatch: number,
    options: GroupCommitOptions<Req> = {},
  ) {
    this.deferWhile = options.deferWhile ?? (() => false);
    this.lanes = options.lanes ?? 1;
    // One lane writes in order anyway: no keys to follow.
    this.keyOf = this.lanes > 1 ? options.keyOf : undefined;
  }

  /** Queues a request; resolves with its own answer once its batch is written. */
  add(req: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      this.pending.push({ req, key: this.keyOf?.(req), resolve, reject });
      this.schedule();
    });
  }

  /** Requests waiting or being written. */
  get size(): number {
    return this.pending.length;
  }

  /** Resolves once everything queued so far has been written. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.inFlight > 0) {
      await nextTurn();
    }
  }

  private schedule(): void {
    if (this.pending.length >= this.maxBatch && this.inFlight < this.lanes) {
      // A full batch goes at once: the first of a burst should not wait for the last to queue.
      void this.flush();
      return;
    }
    if (this.inFlight > 0 || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.inFlight > 0) return;
      if (this.deferWhile() && this.pending.length < this.maxBatch) this.schedule();
      else void this.flush();
    });
  }

  /** Writes batches on one lane until nothing it may take is left. */
  private async flush(): Promise<void> {
    this.inFlight++;
    for (;;) {
      const batch = this.take();
      if (batch.length === 0) break;
      try {
        const results = await this.write(batch.map((p) => p.req));
        batch.forEach((p, i) => p.resolve(results[i] as Res));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
      this.settled(batch);
      // Another lane's turn: beyond the first, a lane writes only full batches.
      if (this.inFlight > 1 && this.pending.length < this.maxBatch) break;
    }
    this.inFlight--;
    if (this.pending.length > 0 && this.inFlight === 0) this.schedule();
  }

  /** The next batch: up to `maxBatch` pending requests, in order, of no key in flight. */
  private take(): Pending<Req, Res>[] {
    let batch: Pending<Req, Res>[];
    if (this.busy.size === 0) batch = this.pending.splice(0, this.maxBatch);
    else {
      batch = [];
      const rest: Pending<Req, Res>[] = [];
      let i = 0;
      for (; i < this.pending.length && batch.length < this.maxBatch; i++) {
        const p = this.pending[i] as Pending<Req, Res>;
        (this.busy.has(p.key as string) ? rest : batch).push(p);
      }
      for (; i < this.pending.length; i++) rest.push(this.pending[i] as Pending<Req, Res>);
      this.pending = rest;
    }
    if (this.keyOf) for (const p of batch) this.count(p.key as string, 1);
    return batch;
  }

  /** Frees the keys of a batch written. */
  private settled(batch: Pending<Req, Res>[]): void {
    if (this.keyOf) for (const p of batch) this.count(p.key as string, -1);
  }

  private count(key: string, by: number): void {
    const n = (this.busy.get(key) ?? 0) + by;
    if (n === 0) this.busy.delete(key);
    else this.busy.set(key, n);
  }
}
