import type { Logger } from 'pino';
import { ChimeError } from '../errors.js';
import type { Claim, Store } from '../stores/store.js';
import type { Clock } from './clock.js';
import { toError, type SchedulerEmitter } from './events.js';
import { Leases, type HeldLease } from './leases.js';
import { Periodic } from './periodic.js';
import { reasonOf } from '../model/reason.js';

/** What the reaper needs from the engine. */
export interface ReaperDeps {
  store: Store;
  owner: string;
  clock: Clock;
  leaseMs: number;
  leases: Leases;
  events: SchedulerEmitter;
  logger: Logger;
  /** Called with a lease this instance lost, to stop whatever uses it. */
  onLost: (lease: HeldLease) => void;
  /** Executions this instance may take over now. */
  budget: () => number;
  /** Takes the executions taken over. */
  accept: (claims: Claim[]) => void;
}

/**
 * The reaper keeps leases honest: it heart-beats every lease this instance
 * holds (one store call for all of them), declares lost those the store did
 * not renew — or, when the store cannot be reached, those whose lease ran out
 * by our own clock — and takes over executions whose holder let its lease
 * expire (a crashed or frozen instance): they run again with the same
 * execution id and the next attempt number.
 */
export class Reaper {
  private readonly loop: Periodic;
  private stopping = false;

  constructor(private readonly deps: ReaperDeps) {
    const every = Math.max(1, Math.floor(deps.leaseMs / 3));
    this.loop = new Periodic(
      deps.clock,
      async () => {
        await this.heartbeat();
        await this.recover();
        return every;
      },
      (err) => this.report(err, 'reaper'),
      every,
    );
  }

  /** Heart-beats held leases and takes over expired ones every third of a lease. */
  start(): void {
    this.loop.start(Math.max(1, Math.floor(this.deps.leaseMs / 3)));
  }

  /** Takes nothing over from now on; stops heart-beating once the engine is done. */
  stopTakingOver(): void {
    this.stopping = true;
  }

  /** Stops heart-beating; resolves once a beat under way is done. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /**
   * Takes over, at once and up to the engine's budget, work whose holder
   * vanished; true when the budget ran out first (more may be waiting).
   */
  async recover(): Promise<boolean> {
    if (this.stopping) return false;
    const limit = this.deps.budget();
    const claims = await this.takeOver(limit);
    this.deps.accept(claims);
    return claims.length >= limit;
  }

  /** Renews held leases; reports the lost ones through `onLost`. */
  async heartbeat(): Promise<void> {
    const held = this.deps.leases.all();
    if (held.length === 0) return;
    const now = this.deps.clock.now();
    const until = now + this.deps.leaseMs;
    let renewed: Set<string>;
    try {
      renewed = new Set(
        await this.deps.store.leasesRenew({
          owner: this.deps.owner,
          leases: Leases.refs(held),
          until,
        }),
      );
    } catch (err) {
      this.deps.events.emit('error', { error: toError(err), during: 'leasesRenew' });
      for (const lease of held) if (lease.leaseUntil <= this.deps.clock.now()) this.lose(lease);
      return;
    }
    for (const lease of held) {
      if (renewed.has(lease.claim.execution.id)) lease.leaseUntil = until;
      else if (this.deps.leases.get(lease.claim.execution.id) === lease)
        this.lose(lease, await this.lossOf(lease));
    }
  }

  /**
   * Why a lease was not renewed: a newer fire replaced its execution
   * (`overlap: 'replace'`, written by the instance that runs that fire), or
   * the lease was lost.
   */
  private async lossOf(lease: HeldLease): Promise<ChimeError | undefined> {
    const { execution, job } = lease.claim;
    if (job.definition.overlap !== 'replace') return undefined;
    const now = await this.deps.store.executionGet({ id: execution.id }).catch(() => null);
    const reason = reasonOf(now?.error);
    if (now?.status !== 'cancelled' || reason?.code !== 'replaced') return undefined;
    return new ChimeError('CHIME_ERR_REPLACED', reason.message);
  }

  /** Leases executions whose lease expired, up to `limit`. */
  async takeOver(limit: number): Promise<Claim[]> {
    if (limit <= 0) return [];
    const now = this.deps.clock.now();
    const claims = await this.deps.store.executionsTakeOver({
      owner: this.deps.owner,
      now,
      leaseMs: this.deps.leaseMs,
      limit,
    });
    for (const claim of claims) {
      this.deps.logger.info(
        { executionId: claim.execution.id, jobId: claim.job.id, attempt: claim.execution.attempt },
        'took over an execution whose lease expired',
      );
    }
    return claims;
  }

  /** Every held lease is void (this instance was declared dead): each is lost. */
  loseAll(): void {
    for (const lease of this.deps.leases.all()) this.lose(lease);
  }

  private report(err: unknown, during: string): void {
    this.deps.logger.error({ err, during }, 'engine step failed');
    this.deps.events.emit('error', { error: toError(err), during });
  }

  /** Drops a lease and aborts what uses it: with `replaced` when a newer fire replaced it, else as lost. */
  private lose(lease: HeldLease, replaced?: ChimeError): void {
    const { execution, job } = lease.claim;
    if (!this.deps.leases.drop(execution.id, lease)) return;
    const lost = new ChimeError(
      'CHIME_ERR_LEASE_LOST',
      `instance ${this.deps.owner} lost the lease of execution ${execution.id}`,
    );
    lease.abort?.abort(replaced ?? lost);
    this.deps.onLost(lease);
    if (replaced) return; // not lost: its end was written by the instance that replaced it
    this.deps.events.emit('lease:lost', {
      executionId: execution.id,
      jobId: job.id,
      fireAt: new Date(execution.fireAt),
      attempt: execution.attempt + 1,
    });
  }
}
