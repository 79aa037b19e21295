import { nextTurn } from './next-turn.js';

/**
 * Group commit: requests made while a write is in flight (or within the same
 * turn of the event loop) go to the store together, as one call. One fire
 * costs a share of a statement, not a round trip of its own.
 */
export class GroupCommit<Req, Res> {
  private pending: { req: Req; resolve: (res: Res) => void; reject: (err: unknown) => void }[] = [];
  private flushing = false;
  private scheduled = false;

  /**
   * `deferWhile`, when given, holds a batch that is not full back while it
   * holds: the caller has more urgent work for this thread (calling targets
   * due now), and the batch only grows meanwhile.
   */
  constructor(
    private readonly write: (reqs: Req[]) => Promise<Res[]>,
    private readonly maxBatch: number,
    private readonly deferWhile: () => boolean = () => false,
  ) {}

  /** Queues a request; resolves with its own answer once its batch is written. */
  add(req: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      this.pending.push({ req, resolve, reject });
      this.schedule();
    });
  }

  /** Requests waiting or being written. */
  get size(): number {
    return this.pending.length;
  }

  /** Resolves once everything queued so far has been written. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.flushing) {
      await nextTurn();
    }
  }

  private schedule(): void {
    if (this.flushing) return;
    if (this.pending.length >= this.maxBatch) {
      // A full batch goes at once: the first of a burst should not wait for the last to queue.
      void this.flush();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.flushing) return;
      if (this.deferWhile() && this.pending.length < this.maxBatch) this.schedule();
      else void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        const results = await this.write(batch.map((p) => p.req));
        batch.forEach((p, i) => p.resolve(results[i] as Res));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.flushing = false;
  }
}
