import type { Logger } from 'pino';
import { ChimeError, isChimeError } from '../errors.js';
import type { Executor } from '../executors/executor.js';
import type { Attempt } from '../model/execution.js';
import type { Claim, StartResult, Store, StoredDefinition } from '../stores/store.js';
import { announceEnd, eventBase } from './announce.js';
import type { Clock } from './clock.js';
import { toError, type SchedulerEmitter } from './events.js';
import { FailureDelivery } from './failure-delivery.js';
import { FinishWriter } from './finish-writer.js';
import type { HeldLease, Leases } from './leases.js';
import { nextTurn } from './next-turn.js';
import {
  abandonedAttempt,
  decideOutcome,
  type AttemptFacts,
  type AttemptResult,
  type Decision,
} from './outcome.js';
import { policiesResolver, type ResolvedPolicies } from './policies.js';
import { RunningMarks } from './running-marks.js';
import { callTarget } from './target-call.js';
import { StartWriter } from './start-writer.js';
import { Tasks } from './tasks.js';
import { applyDirective, readDirective, type JobDirective } from './job-directive.js';
import { notToRun } from './unrun.js';
import type { CustomSchedules } from '../schedules/custom.js';
import { SLOT_WAIT_MS, Throughput } from './throughput.js';

/**
 * Attempts dispatched per turn of the event loop: a burst of thousands due at
 * one instant lets timers and writes have a turn between chunks.
 */
const PUMP_CHUNK = 256;

/** The result recorded for an execution ended without running. */
const NOT_RUN: AttemptResult = { ok: false, error: undefined };

/** What the runner needs from the engine. */
export interface RunnerDeps {
  store: Store;
  owner: string;
  clock: Clock;
  leaseMs: number;
  concurrency: number;
  maxResultBytes: number;
  /** The custom schedules jobs may name (for the misfire rule at a start). */
  customs: CustomSchedules;
  /** The policies of jobs that name none. */
  defaults: Readonly<ResolvedPolicies>;
  leases: Leases;
  executors: ReadonlyMap<string, Executor>;
  events: SchedulerEmitter;
  logger: Logger;
  /** Called once an execution is due again later (a retry, a hand-back), so a cycle claims it in time. */
  onRescheduled: () => void;
  /** False while this instance cannot be sure it is still registered (see `Registry.trusted`). */
  trusted: (now: number) => boolean;
  /** Resolves once a sign of life confirmed this instance's registration. */
  confirm: () => Promise<void>;
}

/** An execution due and waiting for a slot. */
interface Due {
  readonly lease: HeldLease;
  /** When it was handed over (clock ms). */
  readonly since: number;
}

/**
 * The runner runs due executions with bounded concurrency. Handed a claimed
 * execution at its instant, it takes a slot and decides whether the fire runs
 * at all (attempts left, the misfire grace); then it calls the executor under
 * the attempt's signal, straight from memory — a quick attempt costs no write
 * before its outcome: its claim was its plan's insert. Where a policy must
 * ask the store first (an overlap policy other than `allow`), a fenced start
 * is written, and a fire that overlaps is settled by the policy (`overlap.ts`). Attempts that run long are
 * marked running (`running-marks.ts`). The outcome is written last
 * (`finish-writer.ts`; the slot is free before the write returns): done,
 * retry, or dead and then the job's onFailure target (`failure-delivery.ts`).
 * Its room beyond the slots follows the attempts' measured pace (`throughput.ts`).
 */
export class Runner {
  /** Executions due, waiting for a slot. */
  private ready: Due[] = [];
  private readyHead = 0;
  /** Shutdown began: nothing more starts. */
  private stopped = false;
  private pumpScheduled = false;
  /** A sign of life is awaited before attempts are dispatched (see {@link pump}). */
  private confirming = false;
  private running = 0;
  private readonly tasks: Tasks;
  private readonly policiesOf: (definition: StoredDefinition) => ResolvedPolicies;
  private readonly starts: StartWriter;
  private readonly finishes: FinishWriter;
  private readonly throughput: Throughput;
  private readonly delivery: FailureDelivery;
  private readonly marks: RunningMarks;

  constructor(private readonly deps: RunnerDeps) {
    const { clock, store } = deps;
    this.throughput = new Throughput(deps.concurrency, clock.now());
    this.tasks = new Tasks((err) => this.report(err, 'runner'));
    this.policiesOf = policiesResolver(deps.defaults);
    // Outcomes wait while a burst of attempts due now is being dispatched, a chunk per turn.
    this.finishes = new FinishWriter(
      store,
      clock,
      (err, during) => this.report(err, during),
      () => this.pumpScheduled,
    );
    this.starts = new StartWriter(store, deps.leases, this.finishes, (err, during) =>
      this.report(err, during),
    );
    this.marks = new RunningMarks(store, clock, (err) => this.report(err, 'executionsMarkRunning'));
    this.delivery = new FailureDelivery({
      clock,
      leases: deps.leases,
      events: deps.events,
      finishes: this.finishes,
      defaults: deps.defaults,
      call: (claim, lease, policies) => callTarget(deps, claim, lease, 1, policies, 'onFailure'),
      lost: (claim, lease, attempt, fenced) => this.lost(claim, lease, attempt, fenced),
    });
  }

  /** What the runner holds: executions due and waiting for a slot (`queued`), and attempts running. */
  counts(): { queued: number; running: number } {
    return { queued: this.ready.length - this.readyHead, running: this.running };
  }

  /** Attempts this instance has been finishing per ms, lately (see `Throughput.finishedPerMs`). */
  finishedPerMs(): number {
    return this.throughput.finishedPerMs(this.deps.clock.now());
  }

  /** Hands over executions that reached their instant; each runs as soon as a slot is free. */
  enqueue(leases: HeldLease[]): void {
    const since = this.deps.clock.now();
    for (const lease of leases) {
      const { claim } = lease;
      if (claim.execution.status === 'failed') this.tasks.add(this.delivery.deliver(claim));
      else this.ready.push({ lease, since });
    }
    this.pump();
  }

  /** Aborts every running attempt with `reason`, and failed writes are not tried again (a stop past its deadline). */
  abortAll(reason: ChimeError): void {
    for (const lease of this.deps.leases.all()) lease.abort?.abort(reason);
    this.finishes.giveUp();
  }

  /** Resolves when nothing runs, nothing is queued and every write is done. */
  async idle(): Promise<void> {
    await this.tasks.idle();
    await this.starts.drain();
    await this.finishes.drain();
    await this.marks.stop();
  }

  /** Shutdown: nothing more starts; returns the executions still waiting for a slot, to give back. */
  stopQueued(): Claim[] {
    this.stopped = true;
    const queued = this.ready.slice(this.readyHead).map((due) => due.lease.claim);
    this.ready = [];
    this.readyHead = 0;
    return queued;
  }

  /**
   * Executions this instance can start now: its slots, and beyond them as
   * many as the slots reach within {@link SLOT_WAIT_MS} at the attempts'
   * measured run time, so a claimed execution waits for a slot at most about
   * that long. Before any attempt ended only the slots count; so they do once
   * a due execution has waited longer (the average misled: slow attempts
   * among fast ones), until the queue moves again.
   */
  capacity(): number {
    const oldest = this.ready[this.readyHead];
    const stuck = oldest !== undefined && this.deps.clock.now() - oldest.since > SLOT_WAIT_MS;
    return this.deps.concurrency + (stuck ? 0 : this.throughput.reachWithinSlotWait());
  }

  /** True while this instance still holds `lease` (not lost, not taken over). */
  private holds(lease: HeldLease): boolean {
    return this.deps.leases.get(lease.claim.execution.id) === lease;
  }

  private pump(): void {
    if (this.readyHead < this.ready.length && !this.deps.trusted(this.deps.clock.now())) {
      // Its work may be running elsewhere by now: nothing starts before a sign of life says.
      if (!this.confirming) {
        this.confirming = true;
        void this.deps.confirm().finally(() => {
          this.confirming = false;
          // Not trusted still: the instance is stopping, and hands its work back.
          if (this.deps.trusted(this.deps.clock.now())) this.pump();
        });
      }
      return;
    }
    let started = 0;
    while (this.running < this.deps.concurrency && this.readyHead < this.ready.length) {
      if (started++ === PUMP_CHUNK) {
        // The rest next turn: timers and writes get a turn meanwhile.
        if (!this.pumpScheduled) {
          this.pumpScheduled = true;
          setImmediate(() => {
            this.pumpScheduled = false;
            this.pump();
          });
        }
        break;
      }
      const { lease } = this.ready[this.readyHead++] as Due;
      // Its lease was lost while it waited: it does not run.
      if (this.stopped || !this.holds(lease)) continue;
      this.running++;
      this.tasks.add(this.run(lease));
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
  }

  /** Puts an execution back at the head of the queue and frees its slot (the pump confirms first). */
  private requeue(lease: HeldLease): void {
    this.ready.splice(this.readyHead, 0, { lease, since: this.deps.clock.now() });
    this.release();
  }

  /** Frees a slot; `runTimeMs` when an attempt ran (for the measured pace). */
  private release(runTimeMs?: number): void {
    this.running--;
    if (runTimeMs !== undefined) this.throughput.finished(runTimeMs);
    this.pump();
  }

  /**
   * Runs one claimed execution in its slot: decides whether the fire runs
   * (attempts left, the misfire grace, a retry replaced since), writes its
   * start where the overlap policy asks or where it takes over an abandoned
   * attempt (so the store counts that attempt, and this one, should this
   * instance vanish too), settles an overlap by the policy (`overlap.ts`),
   * then runs its attempt; a fire that does not run gets its end.
   */
  private async run(lease: HeldLease): Promise<void> {
    const { claim } = lease;
    const now = this.deps.clock.now();
    const policies = this.policiesOf(claim.job.definition);
    const facts = this.facts(claim, lease, policies, claim.execution.attempt, now, now);
    facts.abandoned = abandonedAttempt(claim, now);
    const unrun = notToRun(facts, this.deps.customs);
    if (unrun) return this.endUnrun(claim, lease, unrun);
    const attempt = claim.execution.attempt + 1;
    const checked = policies.overlap !== 'allow';
    if (!checked && !facts.abandoned) return this.execute(facts, attempt, false);
    let started: StartResult | Decision;
    try {
      started = await this.starts.start(facts, lease, attempt, checked);
    } catch (err) {
      this.report(err, 'overlap');
      this.deps.leases.drop(claim.execution.id, lease);
      await this.finishes.release([lease]);
      return this.release();
    }
    if (typeof started === 'object') return this.endUnrun(claim, lease, started);
    if (started !== 'started') return this.release();
    // The start recorded the abandoned attempt, and marked the execution running.
    facts.abandoned = undefined;
    if (this.stopped) return this.handBack(facts, attempt);
    return this.execute(facts, attempt, true);
  }

  /** Writes the end of a fire that did not run; a fenced-out one is dropped, as a rejected start is. */
  private async endUnrun(claim: Claim, lease: HeldLease, decision: Decision): Promise<void> {
    this.release();
    const now = this.deps.clock.now();
    if (await this.finishes.write(decision.finish, lease)) {
      await this.conclude(claim, lease, decision, claim.execution.attempt, now, NOT_RUN, true);
    } else {
      this.deps.leases.drop(claim.execution.id, lease);
    }
  }

  /** Runs an attempt in its slot, then writes its outcome. */
  private async execute(base: AttemptFacts, attempt: number, marked: boolean): Promise<void> {
    const { claim, leaseToken, policies } = base;
    const lease = this.deps.leases.get(claim.execution.id);
    if (!lease || lease.leaseToken !== leaseToken) return this.release();
    const startedAt = this.deps.clock.now();
    // Trust is checked again at the call itself: a process stopped (SIGSTOP, a stall) since
    // the dispatch may have been declared dead meanwhile, and its fire run elsewhere. (A start
    // just written proved the lease.)
    if (!marked && !this.deps.trusted(startedAt)) return this.requeue(lease);
    if (this.deps.events.has('execution:started')) {
      this.deps.events.emit(
        'execution:started',
        Object.assign(eventBase(claim), { attempt, startedAt: new Date(startedAt) }),
      );
    }
    const running = this.marks.add(lease, attempt, startedAt, marked);
    const called = await callTarget(this.deps, claim, lease, attempt, policies, 'target');
    const { result, directive } = readDirective(claim.job, called);
    this.marks.remove(running);
    const now = this.deps.clock.now();
    this.release(Math.max(0, now - startedAt)); // a clock stepped back reads as no time
    // Replaced by a newer fire: its end was written by the instance that runs that fire.
    if (!result.ok && isChimeError(result.error, 'CHIME_ERR_REPLACED')) return;
    // Outcomes wait for the next turn of the event loop: attempts due at the same instant go first.
    await nextTurn();
    const facts = Object.assign(base, { attempt, startedAt, now });
    const decision = decideOutcome(facts, result);
    if (!decision) return this.lost(claim, lease, attempt, false);
    await this.conclude(claim, lease, decision, attempt, startedAt, result);
    if (directive && decision.kind === 'succeeded') await this.direct(claim, directive);
  }

  /** Applies what a handler's result asked of its job (see `job-directive.ts`). */
  private async direct(claim: Claim, directive: JobDirective): Promise<void> {
    try {
      await applyDirective(this.deps.store, claim.job.id, directive, this.deps.clock.now());
      this.deps.onRescheduled();
    } catch (err) {
      this.report(err, 'a job directive');
    }
  }

  /**
   * Hands an execution whose start was written but whose attempt did not run
   * (shutdown came between) back, with a `shutdown` attempt record.
   */
  private async handBack(facts: AttemptFacts, attempt: number): Promise<void> {
    this.release();
    const lease = this.deps.leases.get(facts.claim.execution.id);
    if (!lease) return;
    const stopped = new ChimeError(
      'CHIME_ERR_SHUTDOWN',
      'the scheduler stopped before the attempt ran',
    );
    const decision = decideOutcome(Object.assign(facts, { attempt }), {
      ok: false,
      error: stopped,
    });
    if (decision) await this.finishes.write(decision.finish, lease);
    this.deps.leases.drop(facts.claim.execution.id, lease);
  }

  /**
   * Writes a decided end (unless `written` already), announces it, and
   * delivers onFailure when the execution died.
   */
  private async conclude(
    claim: Claim,
    lease: HeldLease,
    decision: Decision,
    attempt: number,
    startedAt: number,
    result: AttemptResult,
    written = false,
  ): Promise<void> {
    if (!written && !(await this.finishes.write(decision.finish, lease)))
      return this.lost(claim, lease, attempt, true);
    if (decision.finish.status === 'scheduled') this.deps.onRescheduled();
    const now = this.deps.clock.now();
    announceEnd(this.deps.events, claim, attempt, startedAt, now, decision, result);
    if (decision.kind === 'dead' && decision.finish.onFailure === 'pending') {
      lease.leaseUntil = decision.finish.keepLeaseUntil ?? lease.leaseUntil;
      const recorded = [decision.finish.abandoned, decision.finish.attempt].filter(
        (a): a is Attempt => a !== undefined,
      );
      const failed = {
        ...claim.execution,
        status: 'failed' as const,
        error: decision.error,
        attempts: [...claim.execution.attempts, ...recorded],
      };
      return this.delivery.deliver({ execution: failed, job: claim.job });
    }
    this.deps.leases.drop(claim.execution.id, lease);
  }

  /** What {@link decideOutcome} needs, built whole (an object spread costs microseconds on Node 20). */
  private facts(
    claim: Claim,
    lease: HeldLease,
    policies: ResolvedPolicies,
    attempt: number,
    startedAt: number,
    now: number,
  ): AttemptFacts {
    return {
      claim,
      leaseToken: lease.leaseToken,
      owner: this.deps.owner,
      attempt,
      startedAt,
      now,
      leaseMs: this.deps.leaseMs,
      policies,
      maxResultBytes: this.deps.maxResultBytes,
      abandoned: undefined,
    };
  }

  /** The lease went while the attempt ran; `fenced` when the store just rejected our write (else the reaper announced it). */
  private lost(claim: Claim, lease: HeldLease, attempt: number, fenced: boolean): void {
    this.deps.leases.drop(claim.execution.id, lease);
    this.deps.logger.warn(
      { executionId: claim.execution.id, jobId: claim.job.id, attempt },
      'lease lost: the attempt was aborted and its result rejected',
    );
    if (fenced) this.deps.events.emit('lease:lost', { ...eventBase(claim), attempt });
  }

  private report(err: unknown, during: string): void {
    this.deps.logger.error({ err, during }, 'store call failed');
    this.deps.events.emit('error', { error: toError(err), during });
  }
}
