import type { StartRequest, StartResult, Store } from '../stores/store.js';
import type { FinishWriter } from './finish-writer.js';
import { WRITE_BATCH } from './finish-writer.js';
import { GroupCommit } from './group-commit.js';
import type { HeldLease, Leases } from './leases.js';
import type { AttemptFacts, Decision } from './outcome.js';
import { mayBeReplaced, replacedRetry, resolveOverlap } from './overlap.js';

/**
 * The starts written before an attempt (group-committed, fenced): where the
 * overlap policy asks the store first, and where an abandoned attempt is
 * taken over. A start that overlaps is settled by the policy (`overlap.ts`).
 */
export class StartWriter {
  private readonly commit: GroupCommit<StartRequest, StartResult>;

  constructor(
    private readonly store: Store,
    private readonly leases: Leases,
    private readonly finishes: FinishWriter,
    private readonly report: (err: unknown, during: string) => void,
  ) {
    this.commit = new GroupCommit((starts) => store.executionsStart({ starts }), WRITE_BATCH);
  }

  /**
   * The start of `attempt`, checked against the job's unfinished executions
   * when `checked`, the overlap settled by the policy: the store's answer, or
   * the fire's end (skipped, missed, waiting, or a retry replaced meanwhile).
   * Store errors of the policy's reads and writes reject.
   */
  async start(
    facts: AttemptFacts,
    lease: HeldLease,
    attempt: number,
    checked: boolean,
  ): Promise<StartResult | Decision> {
    const replaced = mayBeReplaced(facts) ? await replacedRetry(this.store, facts) : undefined;
    if (replaced) return replaced;
    const started = await this.write(facts, lease, attempt, checked);
    if (started !== 'overlapping') return started;
    const verdict = await resolveOverlap({ store: this.store, leases: this.leases }, facts);
    if ('end' in verdict) return verdict.end;
    return this.write(facts, lease, attempt, false);
  }

  /** Resolves once every start added so far is written. */
  drain(): Promise<void> {
    return this.commit.drain();
  }

  /** A fenced start; the store's answer ('rejected' too when the write failed: the lease is given back). */
  private async write(
    facts: AttemptFacts,
    lease: HeldLease,
    attempt: number,
    unlessOverlapping: boolean,
  ): Promise<StartResult> {
    const { id } = facts.claim.execution;
    const request: StartRequest = {
      id,
      leaseToken: lease.leaseToken,
      attempt,
      startedAt: facts.now,
      unlessOverlapping,
    };
    if (facts.abandoned) request.abandoned = facts.abandoned;
    let started: StartResult;
    try {
      started = await this.commit.add(request);
    } catch (err) {
      // The write failed: give the lease back so the fire is claimed again at once, not after expiry.
      this.leases.drop(id, lease);
      this.report(err, 'executionsStart');
      await this.finishes.release([lease]);
      return 'rejected';
    }
    if (started === 'rejected') this.leases.drop(id, lease);
    return started;
  }
}
