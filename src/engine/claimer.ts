import type { Share } from '../stores/instances.js';
import type { Claim, Store } from '../stores/store.js';

/** Executions leased per claim query. */
export const CLAIM_BATCH = 500;

/**
 * The claimer leases unleased work that falls due within the horizon — retries,
 * manual triggers, fires planned beyond another instance's budget, executions
 * handed back at shutdown, onFailure deliveries — oldest first, never more than
 * this instance has room for, so one instance does not starve the others.
 */
export class Claimer {
  constructor(
    private readonly store: Store,
    private readonly owner: string,
    private readonly leaseMs: number,
  ) {}

  /** Leases up to `budget` executions (at most one batch) due by `until`, of `share`. */
  async claim(now: number, until: number, budget: number, share?: Share): Promise<Claim[]> {
    const limit = Math.min(budget, CLAIM_BATCH);
    if (limit <= 0) return [];
    return this.store.executionsClaim({
      owner: this.owner,
      now,
      until,
      leaseMs: this.leaseMs,
      limit,
      ...(share ? { share } : {}),
    });
  }
}
