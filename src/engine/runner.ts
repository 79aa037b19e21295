import type { Logger } from 'pino';
import { ChimeError, isChimeError } from '../errors.js';
import type { Executor } from '../executors/executor.js';
import type { Claim, FinishRequest, StartRequest, StartResult, Store } from '../stores/store.js';
import type { Clock } from './clock.js';
import { toError, type SchedulerEmitter } from './events.js';
import { AttemptAbort } from './attempt-abort.js';
import { AttemptContext } from './attempt-context.js';
import { GroupCommit } from './group-commit.js';
import type { HeldLease, Leases } from './leases.js';
import { nextTurn } from './next-turn.js';
import {
  decideAbandoned,
  decideOutcome,
  failuresOf,
  toErrorInfo,
  type AttemptFacts,
  type AttemptResult,
  type Decision,
} from './outcome.js';
import { resolvePolicies, retentionOf, type ResolvedPolicies } from './policies.js';
import { Timer } from './timer.js';

/** Store writes grouped into one call. */
const WRITE_BATCH = 500;
/**
 * Attempts dispatched per turn of the event loop: a burst of thousands due at
 * one instant lets timers and writes have a turn between chunks.
 */
const PUMP_CHUNK = 256;
/**
 * How long a started execution may expect to wait for a slot. Executions are
 * started beyond the free slots only as far as the slots, turning over at the
 * attempts' measured run time, reach them within this: fast handlers get
 * their starts written ahead, slow ones hold one started execution per slot.
 */
const SLOT_WAIT_MS = 1_000;
/**
 * The instance's own work per attempt (its start, its dispatch, its outcome:
 * about 50 µs in the drain bench): however quick the handlers, slots turn
 * over no faster than this.
 */
const ATTEMPT_OVERHEAD_MS = 0.05;
/** Weight of the newest attempt in the moving average of attempt run times. */
const RUN_TIME_WEIGHT = 0.125;
/** Pause before a failed outcome write is tried again (while the lease lasts). */
const FINISH_RETRY_MS = 250;
/** The period over which the rate of finished attempts is averaged. */
const RATE_PERIOD_MS = 1_000;
/** Shortest part of a period whose rate, when higher, is taken at once (a fresh instance's first burst). */
const RATE_RISE_MS = 250;

/** What the runner needs from the engine. */
export interface RunnerDeps {
  store: Store;
  owner: string;
  clock: Clock;
  leaseMs: number;
  concurrency: number;
  maxResultBytes: number;
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

/**
 * How long before its instant an execution's start is written. The fenced
 * start is the store's last word on a fire (lease still ours, job not paused
 * or changed, overlap and misfire rules), so it is written as late as it can
 * be while still done by the instant; the instant itself then only dispatches
 * from memory. Within this window a pause no longer stops the fire, and a
 * crash records an `abandoned` attempt whose target may not have been called.
 */
export const START_LEAD_MS = 250;

/** An execution whose start is written: it waits for its instant, then for a slot. */
interface Started {
  readonly claim: Claim;
  readonly lease: HeldLease;
  readonly policies: ResolvedPolicies;
  readonly attempt: number;
  readonly startedAt: number;
  /** When it reached its instant (clock ms). */
  dueSince?: number;
}

/**
 * The runner runs due executions with bounded concurrency. Handed a claimed
 * execution {@link START_LEAD_MS} before its instant, it takes a slot and
 * writes the fenced start (group-committed, and where `overlap: 'forbid'`
 * holds, checked against the job's unfinished executions); at the instant it
 * calls the executor under the attempt's signal, straight from memory; then
 * it writes the outcome (group-committed; the slot is free before the write
 * returns): done, retry, or dead and then the job's onFailure target.
 */
export class Runner {
  /** Executions handed over and not started yet: started as slots free up. */
  private unstarted: HeldLease[] = [];
  private unstartedHead = 0;
  /**
   * Executions of `overlap: 'forbid'` jobs waiting for their instant before
   * they are started: their start checks the job's earlier executions, which
   * may still be running a lead before the instant and be done at it.
   */
  private readonly forbidding: Timer<HeldLease>;
  /** Started executions waiting for their instant. */
  private readonly instants: Timer<Started>;
  /** Started executions due, to be dispatched (their slots are held). */
  private ready: Started[] = [];
  private readyHead = 0;
  /** Executions whose start is being written. */
  private readonly starting = new Set<HeldLease>();
  /** Shutdown began: what gets started from now on is handed back, not run. */
  private stopped = false;
  private pumpScheduled = false;
  /** A sign of life is awaited before attempts are dispatched (see {@link pump}). */
  private confirming = false;
  private running = 0;
  private readonly tasks = new Set<Promise<void>>();
  private readonly starts: GroupCommit<StartRequest, StartResult>;
  private readonly finishes: GroupCommit<FinishRequest, boolean>;
  /** Attempts finished since `rateSince` (clock ms), and the moving average of their rate. */
  private finishedCount = 0;
  private rateSince: number;
  private ratePerMs = 0;
  /** Moving average of attempts' run times (ms, call to settle); undefined until one ended. */
  private runTimeMs: number | undefined;

  constructor(private readonly deps: RunnerDeps) {
    this.rateSince = deps.clock.now();
    this.instants = new Timer(deps.clock, START_LEAD_MS, (due) => this.due(due));
    this.forbidding = new Timer(deps.clock, START_LEAD_MS, (due) => {
      this.unstarted.push(...due);
      this.startMore();
    });
    this.starts = new GroupCommit((starts) => deps.store.executionsStart({ starts }), WRITE_BATCH);
    // Outcomes wait while a burst of attempts due now is being dispatched, a chunk per turn.
    this.finishes = new GroupCommit(
      (finishes) => deps.store.executionsFinish({ finishes }),
      WRITE_BATCH,
      () => this.pumpScheduled,
    );
  }

  /**
   * What the runner holds at `now`: executions before their instant
   * (`waiting`), due and waiting for a slot or for their start to be written
   * (`queued`), and attempts running.
   */
  counts(now: number): { waiting: number; queued: number; running: number } {
    let waiting = this.instants.size + this.forbidding.size;
    let queued = this.ready.length - this.readyHead;
    const pending = [...this.unstarted.slice(this.unstartedHead), ...this.starting];
    for (const lease of pending) {
      if (lease.claim.execution.runAt > now) waiting++;
      else queued++;
    }
    return { waiting, queued, running: this.running };
  }

  /**
   * Attempts this instance has been finishing per ms, lately: a moving
   * average over periods of a second or more, a rise taken at once and a fall
   * smoothed. Within a period, a rise counts as soon as a quarter of a second
   * shows it (a burst needs room now, and a fresh instance has measured
   * nothing yet), but only what the slots alone cannot explain: up to
   * `concurrency` attempts begun before the period may end in it, so slow
   * handlers finishing in waves do not look fast.
   */
  finishedPerMs(): number {
    const now = this.deps.clock.now();
    const elapsed = now - this.rateSince;
    if (elapsed >= RATE_PERIOD_MS) {
      const rate = this.finishedCount / elapsed;
      this.ratePerMs =
        rate > this.ratePerMs ? rate : this.ratePerMs + (rate - this.ratePerMs) * 0.5;
      this.finishedCount = 0;
      this.rateSince = now;
    } else if (elapsed >= RATE_RISE_MS) {
      const shown = (this.finishedCount - this.deps.concurrency) / elapsed;
      if (shown > this.ratePerMs) this.ratePerMs = shown;
    }
    return this.ratePerMs;
  }

  /**
   * Hands over executions due within {@link START_LEAD_MS} (or overdue). Each
   * is started when a slot is free for it, and holds that slot from its start
   * to its end: a started execution never waits for a slot, so its start
   * record is never far from its target's call.
   */
  enqueue(leases: HeldLease[]): void {
    for (const lease of leases) {
      const { claim } = lease;
      if (claim.execution.status === 'failed') this.track(this.deliverOnFailure(claim));
      else this.unstarted.push(lease);
    }
    this.startMore();
  }

  /** Aborts every running attempt with `reason` (shutdown). */
  abortAll(reason: ChimeError): void {
    for (const lease of this.deps.leases.all()) lease.abort?.abort(reason);
  }

  /** Resolves when nothing runs, nothing is queued and every write is done. */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
    await this.starts.drain();
    await this.finishes.drain();
  }

  /**
   * Shutdown: returns the executions not started yet (to give back), and
   * hands back the started ones that have not run, each with a `shutdown`
   * attempt record (it does not count as a failure).
   */
  stopQueued(): Claim[] {
    this.stopped = true;
    const unstarted = [...this.unstarted.slice(this.unstartedHead), ...this.forbidding.clear()];
    this.unstarted = [];
    this.unstartedHead = 0;
    const started = [...this.instants.clear(), ...this.ready.slice(this.readyHead)];
    this.ready = [];
    this.readyHead = 0;
    for (const item of started) if (this.holds(item.lease)) this.track(this.handBack(item));
    return unstarted.map((lease) => lease.claim);
  }

  /**
   * Hands a started execution that has not run back, due at its instant, with
   * a `shutdown` attempt record; nothing is announced, as nothing ran.
   */
  private async handBack(item: Started): Promise<void> {
    const { claim, lease, policies, attempt } = item;
    const now = this.deps.clock.now();
    const stopped = new ChimeError(
      'CHIME_ERR_SHUTDOWN',
      'the scheduler stopped before the attempt ran',
    );
    const decision = decideOutcome(
      this.facts(claim, lease, policies, attempt, Math.min(item.startedAt, now), now),
      { ok: false, error: stopped },
    );
    if (decision) await this.write(decision.finish, lease);
    this.deps.leases.drop(claim.execution.id, lease);
  }

  /** Forgets an execution whose lease was lost before it started or ran. */
  forget(lease: HeldLease): void {
    this.forbidding.remove((held) => held === lease);
    if (this.instants.remove((item) => item.lease === lease).length > 0) this.startMore();
  }

  /** True while this instance still holds `lease` (not lost, not taken over). */
  private holds(lease: HeldLease): boolean {
    return this.deps.leases.get(lease.claim.execution.id) === lease;
  }

  /**
   * Executions this instance can have started at once: its slots, and beyond
   * them as many as the slots reach within {@link SLOT_WAIT_MS} at the
   * attempts' measured run time, so a started execution waits for a slot at
   * most about that long. Before any attempt ended only the slots count; so
   * they do once a started one has waited longer (the average misled: slow
   * attempts among fast ones), until the queue moves again.
   */
  capacity(): number {
    const oldest = this.ready[this.readyHead];
    const stuck =
      oldest?.dueSince !== undefined && this.deps.clock.now() - oldest.dueSince > SLOT_WAIT_MS;
    return this.deps.concurrency + (stuck ? 0 : this.reachableWithinSlotWait());
  }

  /** Starts queued executions while there is room for them (see {@link capacity}). */
  private startMore(): void {
    const room = this.capacity();
    while (this.unstartedHead < this.unstarted.length && this.slotsTaken() < room) {
      this.track(this.start(this.unstarted[this.unstartedHead++] as HeldLease));
    }
    if (this.unstartedHead > 1024 && this.unstartedHead * 2 > this.unstarted.length) {
      this.unstarted = this.unstarted.slice(this.unstartedHead);
      this.unstartedHead = 0;
    }
  }

  /**
   * Executions the slots reach within {@link SLOT_WAIT_MS}: each slot turns
   * over once per attempt run time, and the instance dispatches at most one
   * attempt per {@link ATTEMPT_OVERHEAD_MS}. It is the room a burst's
   * instant needs: an instance's rate of finished attempts only shows the
   * work it was given, not how much more it could take.
   */
  private reachableWithinSlotWait(): number {
    if (this.runTimeMs === undefined) return 0;
    const perAttemptMs = Math.max(this.runTimeMs / this.deps.concurrency, ATTEMPT_OVERHEAD_MS);
    return Math.floor(SLOT_WAIT_MS / perAttemptMs);
  }

  /** Slots held: by starts being written, started executions waiting, running attempts. */
  private slotsTaken(): number {
    return (
      this.starting.size + this.instants.size + this.ready.length - this.readyHead + this.running
    );
  }

  /** Started executions reached their instant. */
  private due(items: Started[]): void {
    const now = this.deps.clock.now();
    for (const item of items) {
      item.dueSince = now;
      this.ready.push(item);
    }
    this.pump();
  }

  private pump(): void {
    if (this.readyHead < this.ready.length && !this.deps.trusted(this.deps.clock.now())) {
      // Its work may be running elsewhere by now: nothing starts before a sign of life says.
      if (!this.confirming) {
        this.confirming = true;
        void this.deps.confirm().finally(() => {
          this.confirming = false;
          this.pump();
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
      const item = this.ready[this.readyHead++] as Started;
      // Its lease was lost while it waited: it does not run, and its slot is free.
      if (!this.holds(item.lease)) continue;
      this.running++;
      this.track(this.execute(item));
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
    this.startMore();
  }

  private track(task: Promise<void>): void {
    const tracked = task
      .catch((err: unknown) => this.report(err, 'runner'))
      .finally(() => this.tasks.delete(tracked));
    this.tasks.add(tracked);
  }

  /** Frees the slot of an attempt that ran `runTimeMs`. */
  private release(runTimeMs: number): void {
    this.running--;
    this.finishedCount++;
    this.runTimeMs =
      this.runTimeMs === undefined
        ? runTimeMs
        : this.runTimeMs + (runTimeMs - this.runTimeMs) * RUN_TIME_WEIGHT;
    this.pump();
  }

  /**
   * Writes the start of the next attempt (or, when no attempt is left, the
   * execution's end), then queues it for its instant.
   */
  private async start(lease: HeldLease): Promise<void> {
    const { claim } = lease;
    // A claim whose lease was lost (and maybe taken over since, under a new token) does not run.
    if (!this.holds(lease) || lease.leaseToken !== claim.execution.leaseToken) return;
    const policies = resolvePolicies(claim.job.definition, this.deps.defaults);
    if (policies.overlap === 'forbid' && claim.execution.runAt > this.deps.clock.now()) {
      this.forbidding.add([lease]);
      return;
    }
    if (failuresOf(claim.execution.attempts) >= policies.maxAttempts) {
      const now = this.deps.clock.now();
      const facts = this.facts(claim, lease, policies, claim.execution.attempt, now, now);
      return this.conclude(claim, lease, decideAbandoned(facts), facts.attempt, facts.now, {
        ok: false,
        error: undefined,
      });
    }
    const attempt = claim.execution.attempt + 1;
    const startedAt = Math.max(this.deps.clock.now(), claim.execution.runAt);
    this.starting.add(lease);
    let written: boolean;
    try {
      written = await this.writeStart(claim, lease, policies, attempt, startedAt);
    } finally {
      this.starting.delete(lease);
    }
    if (!written) return this.startMore();
    const item: Started = { claim, lease, policies, attempt, startedAt };
    if (this.stopped) return this.handBack(item);
    if (claim.execution.runAt > this.deps.clock.now()) this.instants.add([item]);
    else this.due([item]);
  }

  /** Runs a started execution's attempt in a slot, then writes its outcome. */
  private async execute(item: Started): Promise<void> {
    const { claim, lease, policies, attempt, startedAt } = item;
    if (this.deps.events.has('execution:started')) {
      this.deps.events.emit(
        'execution:started',
        Object.assign(eventBase(claim), { attempt, startedAt: new Date(startedAt) }),
      );
    }
    const calledAt = this.deps.clock.now();
    const result = await this.runTarget(claim, lease, attempt, policies, 'target');
    const now = this.deps.clock.now();
    this.release(Math.max(0, now - calledAt)); // a clock stepped back reads as no time
    // Outcomes wait for the next turn of the event loop: attempts due at the same instant go first.
    await nextTurn();
    return this.finish(item, now, result);
  }

  /** Decides and writes the outcome of a started attempt. */
  private async finish(item: Started, now: number, result: AttemptResult): Promise<void> {
    const { claim, lease, policies, attempt, startedAt } = item;
    const decision = decideOutcome(
      this.facts(claim, lease, policies, attempt, startedAt, now),
      result,
    );
    if (!decision) return this.lost(claim, lease, attempt, false);
    return this.conclude(claim, lease, decision, attempt, startedAt, result);
  }

  /** The fenced start; true when the attempt may run. Announces skipped and missed fires. */
  private async writeStart(
    claim: Claim,
    lease: HeldLease,
    policies: ResolvedPolicies,
    attempt: number,
    startedAt: number,
  ): Promise<boolean> {
    const request: StartRequest = {
      id: claim.execution.id,
      leaseToken: lease.leaseToken,
      attempt,
      startedAt,
      forbidOverlap: policies.overlap === 'forbid',
      retention: retentionOf(policies),
    };
    if (policies.misfire === 'skip') request.missBefore = startedAt - policies.misfireGraceMs;
    let started: StartResult;
    try {
      started = await this.starts.add(request);
    } catch (err) {
      // The write failed: give the lease back so the fire is claimed again at once, not after expiry.
      this.deps.leases.drop(claim.execution.id, lease);
      this.report(err, 'executionsStart');
      await this.deps.store
        .leasesRelease({ leases: [{ id: claim.execution.id, leaseToken: lease.leaseToken }] })
        .catch(() => undefined);
      return false;
    }
    if (started !== 'started') {
      this.deps.leases.drop(claim.execution.id, lease);
      if (started === 'skipped') this.deps.events.emit('fire:skipped', eventBase(claim));
      if (started === 'missed') {
        this.deps.events.emit('fire:missed', {
          ...eventBase(claim),
          lateByMs: startedAt - claim.execution.fireAt,
        });
      }
      return false;
    }
    return true;
  }

  /** Writes a decided end, announces it, and delivers onFailure when the execution died. */
  private async conclude(
    claim: Claim,
    lease: HeldLease,
    decision: Decision,
    attempt: number,
    startedAt: number,
    result: AttemptResult,
  ): Promise<void> {
    if (!(await this.write(decision.finish, lease))) return this.lost(claim, lease, attempt, true);
    if (decision.finish.status === 'scheduled') this.deps.onRescheduled();
    this.announce(claim, attempt, startedAt, this.deps.clock.now(), decision, result);
    if (decision.kind === 'dead' && decision.finish.onFailure === 'pending') {
      lease.leaseUntil = decision.finish.keepLeaseUntil ?? lease.leaseUntil;
      const attempts = decision.finish.attempt
        ? [...claim.execution.attempts, decision.finish.attempt]
        : claim.execution.attempts;
      const failed = {
        ...claim.execution,
        status: 'failed' as const,
        error: decision.error,
        attempts,
      };
      return this.deliverOnFailure({ execution: failed, job: claim.job });
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
    };
  }

  /** Runs the job's target (or its onFailure target) until it settles or is aborted by timeout, lease loss or shutdown. */
  private async runTarget(
    claim: Claim,
    lease: HeldLease,
    attempt: number,
    policies: ResolvedPolicies,
    which: 'target' | 'onFailure',
  ): Promise<AttemptResult> {
    const { execution, job } = claim;
    const target = which === 'target' ? job.definition.target : job.definition.onFailure;
    const abort = new AttemptAbort();
    lease.abort = abort;
    const timeout = this.deps.clock.setTimeout(
      () =>
        abort.abort(
          new ChimeError(
            'CHIME_ERR_ATTEMPT_TIMEOUT',
            `attempt ${attempt} of execution ${execution.id} ran past its timeout of ${policies.timeoutMs} ms`,
          ),
        ),
      policies.timeoutMs,
    );
    try {
      const executor = target ? this.deps.executors.get(target.type) : undefined;
      if (!target || !executor) {
        throw new ChimeError(
          'CHIME_ERR_TARGET_TYPE_UNKNOWN',
          `no executor for target type "${target?.type ?? 'none'}" in this instance`,
          { path: `/${which}/type` },
        );
      }
      const payload =
        which === 'target'
          ? execution.payload !== undefined
            ? execution.payload
            : (job.definition.payload ?? null)
          : failurePayload(claim);
      const ctx = new AttemptContext(claim, payload, attempt, abort, this.deps.logger);
      return { ok: true, value: await abort.race(executor.run(target, ctx)) };
    } catch (error) {
      return { ok: false, error: abort.aborted ? abort.reason : error };
    } finally {
      this.deps.clock.clearTimeout(timeout);
      lease.abort = undefined;
    }
  }

  /**
   * Runs the onFailure target of an execution that failed for good, then
   * records the delivery. Interrupted by shutdown, it writes nothing and gives
   * the lease back, so another instance delivers it at once.
   */
  private async deliverOnFailure(claim: Claim): Promise<void> {
    const { execution } = claim;
    const lease = this.deps.leases.get(execution.id);
    if (!lease || lease.leaseToken !== execution.leaseToken) return;
    const policies = resolvePolicies(claim.job.definition, this.deps.defaults);
    const result = await this.runTarget(claim, lease, 1, policies, 'onFailure');
    if (!result.ok && isChimeError(result.error, 'CHIME_ERR_LEASE_LOST'))
      return this.lost(claim, lease, execution.attempt, false);
    if (!result.ok && isChimeError(result.error, 'CHIME_ERR_SHUTDOWN')) {
      this.deps.leases.drop(execution.id, lease);
      await this.deps.store
        .leasesRelease({ leases: [{ id: execution.id, leaseToken: lease.leaseToken }] })
        .catch((err: unknown) => this.report(err, 'leasesRelease'));
      return;
    }
    const error = result.ok ? undefined : toErrorInfo(result.error);
    const finish: FinishRequest = {
      id: execution.id,
      leaseToken: lease.leaseToken,
      from: 'pending-delivery',
      retention: retentionOf(policies),
      status: 'failed',
      onFailure: result.ok ? 'delivered' : 'failed',
      finishedAt: execution.finishedAt ?? this.deps.clock.now(),
      lastOutcome: null,
    };
    if (!(await this.write(finish, lease))) return this.lost(claim, lease, execution.attempt, true);
    this.deps.leases.drop(execution.id, lease);
    this.deps.events.emit('execution:on-failure', {
      ...eventBase(claim),
      delivered: result.ok,
      ...(error ? { error } : {}),
    });
  }

  /** Writes an outcome, trying again while the lease lasts; false when fenced out or out of time. */
  private async write(finish: FinishRequest, lease: HeldLease): Promise<boolean> {
    for (;;) {
      try {
        return await this.finishes.add(finish);
      } catch (err) {
        this.report(err, 'executionsFinish');
        if (this.deps.clock.now() + FINISH_RETRY_MS >= lease.leaseUntil) return false;
        await new Promise<void>((resolve) => this.deps.clock.setTimeout(resolve, FINISH_RETRY_MS));
      }
    }
  }

  private announce(
    claim: Claim,
    attempt: number,
    startedAt: number,
    now: number,
    decision: Decision,
    result: AttemptResult,
  ): void {
    if (decision.kind === 'succeeded') {
      if (!this.deps.events.has('execution:succeeded')) return;
      this.deps.events.emit(
        'execution:succeeded',
        Object.assign(eventBase(claim), {
          attempt,
          result: result.ok ? result.value : undefined,
          durationMs: now - startedAt,
        }),
      );
      return;
    }
    const base = { ...eventBase(claim), attempt };
    const error = decision.error ?? { message: 'unknown error' };
    // A retry, or an execution handed back at shutdown, runs again at `runAt`.
    const retryAt = decision.kind === 'dead' ? null : new Date(decision.finish.runAt ?? now);
    this.deps.events.emit('execution:failed', { ...base, error, retryAt });
    if (decision.kind === 'dead') this.deps.events.emit('execution:dead', { ...base, error });
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

/** The payload an onFailure target receives: the failure, and the original payload. */
function failurePayload(claim: Claim): unknown {
  const { execution, job } = claim;
  return {
    jobId: job.id,
    executionId: execution.id,
    fireAt: new Date(execution.fireAt).toISOString(),
    attempts: execution.attempts,
    error: execution.error ?? null,
    payload: execution.payload !== undefined ? execution.payload : (job.definition.payload ?? null),
  };
}

function eventBase(claim: Claim): { executionId: string; jobId: string; fireAt: Date } {
  return {
    executionId: claim.execution.id,
    jobId: claim.job.id,
    fireAt: new Date(claim.execution.fireAt),
  };
}
