/**
 * The purging of a bucket's delete markers. A KV delete leaves a marker in
 * the stream (every watcher must see the delete); the store purges its own
 * markers one to two periods later, when every mirror has long seen them, so
 * a bucket does not grow by one marker per deleted key. A purge removes the
 * key's messages up to its marker, not a write of the key made since.
 */

/** A key deleted, and the revision (stream sequence) of its delete marker. */
export interface Marker {
  key: string;
  revision: number;
}

/** The keys a store deleted in a bucket, purged in batches a period or two later. */
export class Markers {
  private recent: Marker[] = [];
  private older: Marker[] = [];
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly purge: (marker: Marker) => Promise<unknown>,
    everyMs: number,
  ) {
    this.sweeper = setInterval(() => void this.sweep(), everyMs).unref();
  }

  /** Notes keys just deleted. */
  deleted(markers: readonly Marker[]): void {
    this.recent.push(...markers);
  }

  /** Stops the purging. */
  stop(): void {
    clearInterval(this.sweeper);
  }

  /** Purges the markers deleted in the period before the last (a failed purge leaves a marker, no more). */
  async sweep(): Promise<void> {
    const older = this.older;
    [this.older, this.recent] = [this.recent, []];
    for (let i = 0; i < older.length; i += 100)
      await Promise.all(
        older.slice(i, i + 100).map((marker) => this.purge(marker).catch(() => undefined)),
      );
  }
}
