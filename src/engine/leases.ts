import type { Claim, LeaseRef } from '../stores/store.js';
import type { AttemptAbort } from './attempt-abort.js';

/** One execution whose lease this instance holds. */
export interface HeldLease {
  claim: Claim;
  leaseToken: number;
  /** Until when the store holds the lease for us, as far as we know. */
  leaseUntil: number;
  /** Set while an attempt or an onFailure delivery runs; aborted when the lease is lost. */
  abort?: AttemptAbort;
}

/**
 * The leases this instance holds: what the reaper heart-beats and what
 * shutdown gives back. An execution is held from its claim until its outcome
 * is written.
 */
export class Leases {
  private readonly held = new Map<string, HeldLease>();

  /** `onDrop` is told each time a lease is dropped (room for one more). */
  constructor(private readonly onDrop: () => void = () => undefined) {}

  /** Starts holding a claimed execution. */
  hold(claim: Claim): HeldLease {
    const lease: HeldLease = {
      claim,
      leaseToken: claim.execution.leaseToken,
      leaseUntil: claim.execution.leaseUntil ?? 0,
    };
    this.held.set(claim.execution.id, lease);
    return lease;
  }

  /** The held lease of an execution, if this instance holds it. */
  get(id: string): HeldLease | undefined {
    return this.held.get(id);
  }

  /**
   * Stops holding an execution (its outcome is written, or the lease is
   * gone). With `lease`, only when that very lease is still the one held: a
   * newer claim of the same execution is left alone.
   */
  drop(id: string, lease?: HeldLease): HeldLease | undefined {
    const held = this.held.get(id);
    if (!held || (lease !== undefined && held !== lease)) return undefined;
    this.held.delete(id);
    this.onDrop();
    return held;
  }

  /** Every held lease. */
  all(): HeldLease[] {
    return [...this.held.values()];
  }

  /** Number of held leases. */
  get size(): number {
    return this.held.size;
  }

  /** The fenced references of the given leases. */
  static refs(leases: HeldLease[]): LeaseRef[] {
    return leases.map((l) => ({ id: l.claim.execution.id, leaseToken: l.leaseToken }));
  }
}
