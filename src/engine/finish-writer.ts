import type { FinishRequest, Store } from '../stores/store.js';
import type { Clock } from './clock.js';
import { GroupCommit } from './group-commit.js';
import type { HeldLease } from './leases.js';

/** Store writes grouped into one call. */
export const WRITE_BATCH = 500;
/** Pause before a failed outcome write is tried again (while the lease lasts). */
const FINISH_RETRY_MS = 250;

/**
 * The fenced writes of ends, group-committed (every end written in the same
 * turn of the event loop shares one store call), each tried again after a
 * failure for as long as its lease lasts.
 */
export class FinishWriter {
  private readonly commit: GroupCommit<FinishRequest, boolean>;
  /** A stop's deadline passed: a failed write is not tried again. */
  private givenUp = false;

  /** `hold`: while true, a batch that is not full waits (a burst is being dispatched). */
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly report: (err: unknown, during: string) => void,
    hold: () => boolean,
  ) {
    // As many batches in flight as the store serves at once; one job's ends in order (its last
    // outcome is the last one written).
    this.commit = new GroupCommit((finishes) => store.executionsFinish({ finishes }), WRITE_BATCH, {
      deferWhile: hold,
      lanes: store.capabilities.finishLanes ?? 1,
      keyOf: (finish) => finish.jobId,
    });
  }

  /**
   * Writes an end; false when fenced out, or when the lease ran out (or the
   * writer gave up, {@link giveUp}) before a write went through.
   */
  async write(finish: FinishRequest, lease: HeldLease): Promise<boolean> {
    for (;;) {
      try {
        return await this.commit.add(finish);
      } catch (err) {
        this.report(err, 'executionsFinish');
        if (this.givenUp || this.clock.now() + FINISH_RETRY_MS >= lease.leaseUntil) return false;
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, FINISH_RETRY_MS));
      }
    }
  }

  /**
   * A stop's deadline passed: writes that fail are not tried again (their
   * leases are left to expire, and the executions to a take-over), so a
   * store that refuses one cannot hold the stop.
   */
  giveUp(): void {
    this.givenUp = true;
  }

  /** Resolves once every write added so far is done. */
  drain(): Promise<void> {
    return this.commit.drain();
  }

  /** Gives leases back (after an attempt that never ran, or an interrupted delivery). */
  async release(leases: HeldLease[]): Promise<void> {
    if (leases.length === 0) return;
    const refs = leases.map((lease) => ({
      id: lease.claim.execution.id,
      leaseToken: lease.leaseToken,
    }));
    await this.store.leasesRelease({ leases: refs }).catch((err: unknown) => {
      this.report(err, 'leasesRelease');
    });
  }
}
