import type { Logger } from 'pino';
import type { StoreMaintenance } from '../stores/store.js';
import type { Clock } from './clock.js';
import type { SchedulerEmitter } from './events.js';
import { toError } from './events.js';
import { nextTurn } from './next-turn.js';
import { Periodic } from './periodic.js';
import { resolvePolicies, retentionOf, type ResolvedPolicies } from './policies.js';

/** Jobs whose history one pass prunes, and executions deleted per job per pass. */
const JOBS_PER_PASS = 20;
const EXECUTIONS_PER_JOB = 500;
/** Stale jobs reported per pass. */
const STALE_PER_PASS = 100;
/** Pause between passes; shorter while work is left. */
const PASS_MS = 30_000;
const BUSY_PASS_MS = 1_000;

/** What the pruner needs from the engine. */
export interface PrunerDeps {
  /** The store's maintenance part. */
  store: StoreMaintenance;
  clock: Clock;
  defaults: Readonly<ResolvedPolicies>;
  events: SchedulerEmitter;
  logger: Logger;
}

/**
 * Keeps history bounded and notices stale jobs, in small passes that any
 * instance may run: it asks the store for the jobs whose finished executions
 * are due for a look (`jobsToPrune`, served by an index), prunes each to its
 * retention in a bounded batch, and reports jobs that went without success
 * for their `staleAfter` (each once, whichever instance finds it). Nothing in
 * it scans all jobs or all executions, and it never touches unfinished work.
 */
export class Pruner {
  private readonly loop: Periodic;

  constructor(private readonly deps: PrunerDeps) {
    this.loop = new Periodic(
      deps.clock,
      async () => ((await this.pass()) ? BUSY_PASS_MS : PASS_MS),
      (err) => {
        deps.logger.error({ err, during: 'maintenance' }, 'engine step failed');
        deps.events.emit('error', { error: toError(err), during: 'maintenance' });
      },
      PASS_MS,
    );
  }

  /** Runs passes, the first one a second from now. */
  start(): void {
    this.loop.start(BUSY_PASS_MS);
  }

  /** Runs no more passes; resolves once the one under way is done. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass; true when it stopped at a limit and another pass should follow soon. */
  async pass(): Promise<boolean> {
    const { store, clock, events } = this.deps;
    const now = clock.now();
    const jobs = await store.jobsToPrune({ now, limit: JOBS_PER_PASS });
    let more = jobs.length === JOBS_PER_PASS;
    for (const job of jobs) {
      const retention = retentionOf(this.policies(job.definition));
      const deleted = await store.executionsPrune({
        jobId: job.id,
        retention,
        now,
        limit: EXECUTIONS_PER_JOB,
        expectedPruneAfter: job.pruneAfter,
      });
      more ||= deleted === EXECUTIONS_PER_JOB;
      if (deleted > 0) events.emit('history:pruned', { jobId: job.id, deleted });
      // A store that answers synchronously (SQLite) would otherwise run the whole pass as
      // one block: timers due meanwhile (an instant's dispatch) run between its jobs.
      await nextTurn();
    }
    const stale = await store.jobsStale({ now, limit: STALE_PER_PASS });
    for (const job of stale) {
      const lastSuccessAt = job.stats.lastSuccessAt;
      this.deps.logger.warn(
        { jobId: job.id, lastSuccessAt, staleAfterMs: job.staleAfterMs },
        'job is stale: no success within its staleAfter',
      );
      events.emit('job:stale', {
        jobId: job.id,
        staleSince: new Date(job.staleSince ?? now),
        lastSuccessAt: lastSuccessAt === null ? null : new Date(lastSuccessAt),
        staleAfterMs: job.staleAfterMs ?? 0,
      });
    }
    return more || stale.length === STALE_PER_PASS;
  }

  /** A job's policies; the defaults when its stored definition cannot be read. */
  private policies(definition: Parameters<typeof resolvePolicies>[0]): ResolvedPolicies {
    try {
      return resolvePolicies(definition, this.deps.defaults);
    } catch {
      return { ...this.deps.defaults };
    }
  }
}
