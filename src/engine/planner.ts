import type { Logger } from 'pino';
import { reasonAsError, reasonOf, type Reason } from '../model/reason.js';
import type { Share } from '../stores/instances.js';
import { inShare } from '../stores/rules.js';
import type { Claim, ExecutionRecord, JobPlan, JobRecord, Store } from '../stores/store.js';
import { newExecution } from '../stores/records.js';
import { compileJobSchedule } from './job-schedule.js';
import type { CustomSchedules } from '../schedules/custom.js';
import { lateReason, planFires, type FirePlan } from './misfire.js';
import { firesLeft, limitFires } from './fire-limit.js';
import { fireJitter, resolvePolicies, retentionOf, type ResolvedPolicies } from './policies.js';
import { toError, type SchedulerEmitter } from './events.js';

/** How long a job whose fires cannot be computed waits before the planner tries again. */
const PARK_MS = 60_000;

/** Jobs read per planning query. */
export const PLAN_BATCH = 500;

/** What the planner needs from the engine. */
export interface PlannerDeps {
  store: Store;
  owner: string;
  leaseMs: number;
  /** The policies of jobs that name none. */
  defaults: Readonly<ResolvedPolicies>;
  /** The custom schedules jobs may name. */
  customs: CustomSchedules;
  events: SchedulerEmitter;
  logger: Logger;
}

/**
 * The planner turns due jobs into executions: for every job whose `nextFireAt`
 * falls within the horizon it inserts one execution per fire (applying the
 * misfire policy to late fires) and advances `nextFireAt`, in one store step
 * per batch. Fires it can run soon are inserted already leased to this
 * instance (up to `budget`), so the instant itself only dispatches from memory.
 */
export class Planner {
  constructor(private readonly deps: PlannerDeps) {}

  /**
   * Plans one batch of due jobs (of `share`, when given). Returns the executions leased to this
   * instance and how many jobs' plans applied (0: nothing due, or another
   * instance planned them first).
   */
  async planBatch(
    now: number,
    horizonEnd: number,
    budget: number,
    share?: Share,
  ): Promise<{ claims: Claim[]; applied: number }> {
    const jobs = await this.deps.store.jobsDue({
      before: horizonEnd,
      limit: PLAN_BATCH,
      ...(share ? { share } : {}),
    });
    if (jobs.length === 0) return { claims: [], applied: 0 };
    let leasable = budget;
    const plans: JobPlan[] = [];
    const summaries: { job: JobRecord; fires: FirePlan; plan: JobPlan }[] = [];
    for (const job of jobs) {
      const planned = this.planJob(job, now, horizonEnd, leasable);
      if (!planned) continue;
      leasable -= planned.plan.executions.filter((e) => e.leaseOwner !== null).length;
      plans.push(planned.plan);
      summaries.push({ job, ...planned });
    }
    const { claims, applied } = await this.advance(plans, share);
    const appliedIds = new Set(applied);
    for (const { job, fires, plan } of summaries) {
      if (appliedIds.has(job.id)) this.announceMissed(job, fires, plan, now);
    }
    return { claims, applied: applied.length };
  }

  /**
   * Applies the plans: those of this instance's share first, then those of
   * other shares taken as overdue. After an outage every instance finds all
   * the work overdue and would plan every job at once, each plan racing three
   * others (on NATS, a plan's fires are written before its job): the others'
   * plans, sent once this instance's own are written, find most of their jobs
   * planned by their owners meanwhile and write nothing.
   */
  private async advance(
    plans: JobPlan[],
    share: Share | undefined,
  ): Promise<{ claims: Claim[]; applied: string[] }> {
    const own = plans.filter((p) => inShare(p.jobId, Number.POSITIVE_INFINITY, share));
    const others = plans.filter((p) => !own.includes(p));
    const { store } = this.deps;
    const first = await store.jobsAdvance({ plans: own.length > 0 ? own : others });
    if (own.length === 0 || others.length === 0) return first;
    const then = await store.jobsAdvance({ plans: others });
    return {
      claims: [...first.claims, ...then.claims],
      applied: [...first.applied, ...then.applied],
    };
  }

  private planJob(
    job: JobRecord,
    now: number,
    horizonEnd: number,
    leasable: number,
  ): { fires: FirePlan; plan: JobPlan } | undefined {
    if (job.nextFireAt === null) return undefined;
    let policies: ResolvedPolicies;
    let fires: FirePlan;
    try {
      policies = resolvePolicies(job.definition, this.deps.defaults);
      const planned = planFires(
        compileJobSchedule(job, this.deps.customs),
        job.nextFireAt,
        now,
        horizonEnd,
        policies,
      );
      fires = limitFires(planned, firesLeft(job.definition.maxFires, job.fireCount));
    } catch (err) {
      return {
        fires: { run: [], missed: [], missedTruncated: false, nextFireAt: null },
        plan: this.park(job, now, err),
      };
    }
    const executions: ExecutionRecord[] = [];
    for (const fireAt of fires.missed)
      executions.push(missedExecution(job.id, fireAt, now, lateReason(policies, now - fireAt)));
    fires.run.forEach((fireAt, i) => {
      const runAt = fireAt + fireJitter(job.id, fireAt, policies.jitterMs);
      const lease =
        i < leasable
          ? { owner: this.deps.owner, until: Math.max(runAt, now) + this.deps.leaseMs }
          : undefined;
      executions.push(
        newExecution({
          jobId: job.id,
          fireAt,
          runAt,
          now,
          trigger: 'schedule',
          ...(lease && { lease }),
        }),
      );
    });
    const newestMissed = executions.findLast((e) => e.status === 'missed');
    return {
      fires,
      plan: {
        jobId: job.id,
        expectedVersion: job.version,
        expectedNextFireAt: job.nextFireAt,
        nextFireAt: fires.nextFireAt,
        completedAt: fires.nextFireAt === null ? now : null,
        fires: executions.length,
        lastOutcome: newestMissed
          ? { status: 'missed', executionId: newestMissed.id, at: new Date(now).toISOString() }
          : null,
        executions,
        retention: retentionOf(policies),
      },
    };
  }

  /**
   * A job whose fires cannot be computed (a stored definition this version
   * cannot read, a zone missing from this runtime) is reported and tried again
   * a minute later, so it neither blocks the jobs behind it nor is lost.
   */
  private park(job: JobRecord, now: number, err: unknown): JobPlan {
    this.deps.logger.error(
      { err, jobId: job.id },
      'the fires of this job cannot be computed; trying again in a minute',
    );
    this.deps.events.emit('error', { error: toError(err), during: `planning job ${job.id}` });
    return {
      jobId: job.id,
      expectedVersion: job.version,
      expectedNextFireAt: job.nextFireAt ?? now,
      nextFireAt: now + PARK_MS,
      completedAt: null,
      lastOutcome: null,
      executions: [],
      retention: retentionOf(this.deps.defaults),
    };
  }

  private announceMissed(job: JobRecord, fires: FirePlan, plan: JobPlan, now: number): void {
    if (fires.missedTruncated) {
      const before = new Date(fires.missed[0] ?? fires.run[0] ?? now);
      this.deps.logger.warn(
        { jobId: job.id, before },
        'job missed more fires than the ledger records one by one; older missed fires are not recorded',
      );
      this.deps.events.emit('fire:missed-unrecorded', { jobId: job.id, before });
    }
    if (!this.deps.events.has('fire:missed')) return;
    for (const e of plan.executions) {
      // Every missed fire of a plan has its reason (see missedExecution).
      const reason = e.status === 'missed' ? reasonOf(e.error) : undefined;
      if (!reason) continue;
      this.deps.events.emit('fire:missed', {
        executionId: e.id,
        jobId: job.id,
        fireAt: new Date(e.fireAt),
        lateByMs: now - e.fireAt,
        reason,
      });
    }
  }
}

function missedExecution(
  jobId: string,
  fireAt: number,
  now: number,
  reason: Reason,
): ExecutionRecord {
  return {
    ...newExecution({ jobId, fireAt, runAt: fireAt, now, trigger: 'schedule' }),
    status: 'missed',
    error: reasonAsError(reason),
    finishedAt: now,
  };
}
