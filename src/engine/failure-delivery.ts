import { isChimeError } from '../errors.js';
import type { Claim, FinishRequest } from '../stores/store.js';
import { eventBase } from './announce.js';
import type { Clock } from './clock.js';
import type { SchedulerEmitter } from './events.js';
import type { FinishWriter } from './finish-writer.js';
import type { HeldLease, Leases } from './leases.js';
import { toErrorInfo, type AttemptResult } from './outcome.js';
import { resolvePolicies, retentionOf, type ResolvedPolicies } from './policies.js';

/** What the delivery of onFailure targets needs from the runner. */
export interface FailureDeliveryDeps {
  clock: Clock;
  leases: Leases;
  events: SchedulerEmitter;
  finishes: FinishWriter;
  /** The policies of jobs that name none. */
  defaults: Readonly<ResolvedPolicies>;
  /** Calls the onFailure target under the lease. */
  call: (claim: Claim, lease: HeldLease, policies: ResolvedPolicies) => Promise<AttemptResult>;
  /** The lease was lost (`fenced`: the store just rejected a write). */
  lost: (claim: Claim, lease: HeldLease, attempt: number, fenced: boolean) => void;
}

/**
 * The dead-letter: runs the onFailure target of an execution that failed for
 * good, then records the delivery (delivered, or failed) with a fenced write.
 * Interrupted by shutdown, it writes nothing and gives the lease back, so
 * another instance delivers it at once.
 */
export class FailureDelivery {
  constructor(private readonly deps: FailureDeliveryDeps) {}

  async deliver(claim: Claim): Promise<void> {
    const { execution } = claim;
    const { leases, finishes } = this.deps;
    const lease = leases.get(execution.id);
    if (!lease || lease.leaseToken !== execution.leaseToken) return;
    const policies = resolvePolicies(claim.job.definition, this.deps.defaults);
    const result = await this.deps.call(claim, lease, policies);
    if (!result.ok && isChimeError(result.error, 'CHIME_ERR_LEASE_LOST'))
      return this.deps.lost(claim, lease, execution.attempt, false);
    if (!result.ok && isChimeError(result.error, 'CHIME_ERR_SHUTDOWN')) {
      leases.drop(execution.id, lease);
      return finishes.release([lease]);
    }
    const error = result.ok ? undefined : toErrorInfo(result.error);
    const finish: FinishRequest = {
      id: execution.id,
      jobId: execution.jobId,
      leaseToken: lease.leaseToken,
      from: 'pending-delivery',
      retention: retentionOf(policies),
      status: 'failed',
      onFailure: result.ok ? 'delivered' : 'failed',
      finishedAt: execution.finishedAt ?? this.deps.clock.now(),
      lastOutcome: null,
    };
    if (!(await finishes.write(finish, lease)))
      return this.deps.lost(claim, lease, execution.attempt, true);
    leases.drop(execution.id, lease);
    this.deps.events.emit('execution:on-failure', {
      ...eventBase(claim),
      delivered: result.ok,
      ...(error ? { error } : {}),
    });
  }
}
