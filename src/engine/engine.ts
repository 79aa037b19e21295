import type { Logger } from 'pino';
import type { CustomSchedules } from '../schedules/custom.js';
import { ChimeError } from '../errors.js';
import type { Executor } from '../executors/executor.js';
import type { InstanceRecord } from '../stores/instances.js';
import type { Claim, Store } from '../stores/store.js';
import { Claimer } from './claimer.js';
import type { Clock, TimerHandle } from './clock.js';
import { toError, type SchedulerEmitter } from './events.js';
import { Leases, type HeldLease } from './leases.js';
import { nextTurn } from './next-turn.js';
import { Planner } from './planner.js';
import { Pruner } from './pruner.js';
import type { ResolvedPolicies } from './policies.js';
import { Reaper } from './reaper.js';
import { Registry } from './registry.js';
import { Runner } from './runner.js';
import { Timer } from './timer.js';

/** The most an adaptive prefetch holds (see {@link Engine.prefetch}). */
const MAX_ADAPTIVE_PREFETCH = 20_000;

/** Pause before a cycle that found due work it could not take tries again. */
const RETRY_SLEEP_MS = 250;

/** The engine's settings, resolved. */
export interface EngineSettings {
  /** This instance's name in leases and logs. */
  instanceId: string;
  /** Attempts run at once. */
  concurrency: number;
  /** Executions held at once (claimed ahead, queued or running); absent: adaptive, see {@link Engine.prefetch}. */
  prefetch: number | undefined;
  /** Lease length; renewed every third of it. */
  leaseMs: number;
  /** How far ahead work is planned and claimed. */
  horizonMs: number;
  /** Longest pause between two planning cycles (the safety net under wake-ups). */
  pollIntervalMs: number;
  /** Largest recorded result, in bytes of JSON. */
  maxResultBytes: number;
  /** Pause between two signs of life in the registry of instances. */
  heartbeatMs: number;
  /** Silence after which an instance is declared dead. */
  deadAfterMs: number;
  /** What this instance says of itself in the registry, besides its id and capacity. */
  identity: { host: string; pid: number; version: string };
  /** The policies of jobs that name none (the scheduler's retention among them). */
  policyDefaults: Readonly<ResolvedPolicies>;
  /** The custom schedules jobs may name (`scheduler.schedule`). */
  customSchedules: CustomSchedules;
}

/** Counts of what one instance holds (see {@link Engine.stats}). */
export interface EngineStats {
  /** Claimed executions waiting for their instant. */
  waiting: number;
  /** Due executions waiting for a free slot. */
  queued: number;
  /** Attempts running. */
  running: number;
  /** Leases held (all of the above, and outcomes being written). */
  held: number;
}

/** What the engine is built from. */
export interface EngineDeps {
  store: Store;
  clock: Clock;
  events: SchedulerEmitter;
  logger: Logger;
  executors: ReadonlyMap<string, Executor>;
  settings: EngineSettings;
}

/**
 * The engine: one loop of planning and claiming cycles, the timer that
 * dispatches claimed executions at their instant, the runner and the reaper.
 *
 * A cycle reads the clock once, plans the jobs due within the horizon, claims
 * the other work due within it, and hands both to the timer. Cycles run when
 * woken (a change in this process, or a store notification) and at least
 * every `pollIntervalMs`; a full batch runs the next cycle at once.
 */
export class Engine {
  private readonly leases = new Leases(() => this.capacityFreed());
  /** Claimed executions, handed to the runner at their instant. */
  private readonly timer: Timer<HeldLease>;
  private readonly planner: Planner;
  private readonly claimer: Claimer;
  private readonly runner: Runner;
  private readonly reaper: Reaper;
  /** Absent when the store has no maintenance part. */
  private readonly pruner: Pruner | undefined;
  private readonly registry: Registry;
  private cycling = false;
  /** The last cycle left due work behind for lack of room. */
  private starved = false;
  /** A take-over found no room for all it could take: it goes on as room frees up. */
  private takeOverPending = false;
  private recovering = false;
  private again = false;
  private stopping = false;
  private pollHandle: TimerHandle | undefined;

  constructor(private readonly deps: EngineDeps) {
    const { store, clock, events, logger, executors, settings } = deps;
    const owner = settings.instanceId;
    this.runner = new Runner({
      store,
      owner,
      clock,
      leaseMs: settings.leaseMs,
      concurrency: settings.concurrency,
      maxResultBytes: settings.maxResultBytes,
      defaults: settings.policyDefaults,
      customs: settings.customSchedules,
      leases: this.leases,
      executors,
      events,
      logger,
      onRescheduled: () => this.wake(),
      trusted: (now) => this.registry.trusted(now),
      confirm: () => this.registry.confirm(),
    });
    this.timer = new Timer(clock, settings.horizonMs, (due) => this.runner.enqueue(due));
    const defaults = settings.policyDefaults;
    this.planner = new Planner({
      store,
      owner,
      leaseMs: settings.leaseMs,
      defaults,
      customs: settings.customSchedules,
      events,
      logger,
    });
    this.claimer = new Claimer(store, owner, settings.leaseMs);
    this.pruner = store.maintenance
      ? new Pruner({ store: store.maintenance, clock, defaults, events, logger })
      : undefined;
    this.reaper = new Reaper({
      store,
      owner,
      clock,
      leaseMs: settings.leaseMs,
      leases: this.leases,
      events,
      logger,
      onLost: (lease) => this.forget(lease),
      budget: () => this.budget(),
      accept: (claims) => this.accept(claims),
    });
    this.registry = new Registry({
      store,
      clock,
      events,
      logger,
      instance: { id: owner, capacity: settings.concurrency, ...settings.identity },
      heartbeatMs: settings.heartbeatMs,
      deadAfterMs: settings.deadAfterMs,
      shareFallbackMs: Math.ceil(settings.horizonMs / 4),
      load: () => {
        const { held, running } = this.stats();
        return { held, running };
      },
      onDeaths: () => this.recover(),
      onDeclaredDead: () => this.reaper.loseAll(),
    });
  }

  /** The live instances of the store, as of this instance's last sign of life. */
  instances(): InstanceRecord[] {
    return this.registry.instances();
  }

  /** What this instance holds: executions waiting for their instant, queued for a slot, running. */
  stats(): EngineStats {
    const runner = this.runner.counts();
    return {
      waiting: this.timer.size,
      queued: runner.queued,
      running: runner.running,
      held: this.leases.size,
    };
  }

  /**
   * Registers this instance, then starts cycling and heart-beating.
   * @throws ChimeError `CHIME_ERR_INSTANCE_ID_TAKEN` when a live instance has its id.
   */
  async start(): Promise<void> {
    await this.registry.start();
    this.reaper.start();
    this.pruner?.start();
    this.wake();
  }

  /** Runs a cycle as soon as possible (something became due). */
  wake(): void {
    if (this.stopping) return;
    if (this.cycling) {
      this.again = true;
      return;
    }
    if (this.pollHandle !== undefined) this.deps.clock.clearTimeout(this.pollHandle);
    this.pollHandle = undefined;
    void this.runCycles();
  }

  /**
   * Stops: no more claims; executions not yet started are handed back at once;
   * running attempts get until `timeoutMs` to finish, then are aborted and
   * handed back so another instance takes them over immediately.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.registry.stopping();
    this.reaper.stopTakingOver();
    if (this.pollHandle !== undefined) this.deps.clock.clearTimeout(this.pollHandle);
    while (this.cycling) await nextTurn();
    await this.handBack([
      ...this.timer.clear().map((lease) => lease.claim),
      ...this.runner.stopQueued(),
    ]);
    if (!(await this.settleWithin(timeoutMs))) {
      this.runner.abortAll(
        new ChimeError('CHIME_ERR_SHUTDOWN', 'the scheduler stopped before the attempt finished'),
      );
      await this.runner.idle();
    }
    await Promise.all([this.reaper.stop(), this.pruner?.stop()]);
    await this.registry.stop();
  }

  private async runCycles(): Promise<void> {
    this.cycling = true;
    let sleepMs = this.deps.settings.pollIntervalMs;
    try {
      for (let again = true; (again || this.again) && !this.stopping;) {
        this.again = false;
        ({ again, sleepMs } = await this.cycle());
      }
    } catch (err) {
      this.report(err, 'cycle');
    } finally {
      this.cycling = false;
      if (!this.stopping) this.pollHandle = this.deps.clock.setTimeout(() => this.wake(), sleepMs);
    }
  }

  /**
   * One cycle. It first asks when work is next due: when nothing is due within
   * the horizon it plans to sleep until something enters it (at most
   * `pollIntervalMs`), so an idle instance makes one cheap query per wake. When
   * a cycle made progress another follows at once; when work was due but none
   * could be taken (full instance, another instance won the race, a job whose
   * schedule cannot be computed) it retries after a short pause, never in a loop.
   */
  private async cycle(): Promise<{ again: boolean; sleepMs: number }> {
    const { horizonMs, pollIntervalMs } = this.deps.settings;
    const now = this.deps.clock.now();
    const until = now + horizonMs;
    if (!this.registry.trusted(now)) {
      // It may have been declared dead meanwhile: it takes nothing until a sign of life says.
      await this.registry.confirm();
      return { again: true, sleepMs: pollIntervalMs };
    }
    const due = await this.deps.store.nextDueAt();
    if (due === null || due > until) {
      return {
        again: false,
        sleepMs:
          due === null ? pollIntervalMs : Math.min(pollIntervalMs, due - until + horizonMs / 8),
      };
    }
    // Work already planned goes first (oldest first): fires planned earlier and not taken
    // would otherwise wait behind the planning of later ones for as long as room is short.
    // Work already due is claimed as far as this instance can start it now.
    const share = this.registry.share(now);
    const dueRoom = this.dueRoom();
    const claimedDue =
      dueRoom > this.budget() ? await this.claimer.claim(now, now, dueRoom, share) : [];
    this.accept(claimedDue);
    const claimed = await this.claimer.claim(now, until, this.budget(), share);
    this.accept(claimed);
    // The starts of what was just claimed go before planning: on a synchronous store
    // (SQLite) planning a batch holds the thread for tens of ms.
    if (claimedDue.length > 0 || claimed.length > 0) await nextTurn();
    const planned = await this.planner.planBatch(now, until, this.budget(), share);
    this.accept(planned.claims);
    this.starved = this.budget() <= 0;
    const progressed = planned.applied > 0 || claimed.length > 0 || claimedDue.length > 0;
    return {
      again: progressed && !this.starved,
      sleepMs: Math.min(pollIntervalMs, RETRY_SLEEP_MS),
    };
  }

  /**
   * Called when a lease is dropped: a take-over that ran out of room goes on,
   * and a cycle that stopped for lack of room may go on.
   */
  private capacityFreed(): void {
    if (this.takeOverPending && !this.recovering && this.budget() > 0) this.recover();
    if (!this.starved) return;
    this.starved = false;
    this.wake();
  }

  private budget(): number {
    return this.prefetch() - this.leases.size;
  }

  /**
   * Executions already due this instance may claim beyond its adaptive
   * prefetch: as many as it can start now (its slots, and what they reach
   * within a second at its attempts' run time). Due work then goes to an
   * instance that can run it now, and a fresh instance's first instant or a
   * backlog is not claimed a prefetch at a time while its rate is measured.
   * None when `prefetch` is set: that is a limit.
   */
  private dueRoom(): number {
    if (this.deps.settings.prefetch !== undefined) return 0;
    return Math.min(MAX_ADAPTIVE_PREFETCH, this.runner.capacity()) - this.leases.size;
  }

  /**
   * Executions this instance may hold: the `prefetch` setting, or else what it
   * has shown it gets through within a horizon (its recent rate of
   * finished attempts), at least twice its slots. Slow handlers keep it small, so
   * several instances share a burst; fast ones let it hold every fire planned
   * within its horizon, so none waits to be claimed after its instant.
   */
  private prefetch(): number {
    const { prefetch, concurrency, horizonMs } = this.deps.settings;
    if (prefetch !== undefined) return prefetch;
    const throughput = Math.ceil(this.runner.finishedPerMs() * horizonMs);
    return Math.min(MAX_ADAPTIVE_PREFETCH, Math.max(2 * concurrency, throughput));
  }

  private accept(claims: Claim[]): void {
    if (claims.length === 0) return;
    const held = claims.map((claim) => this.leases.hold(claim));
    if (this.stopping) {
      void this.handBack(claims);
      return;
    }
    this.timer.add(held);
  }

  /**
   * Instances died: what they had not started is claimable now (a cycle
   * claims it), and what they may have started is taken over at once — as far
   * as there is room, and then as room frees up (not a reaper's period later).
   */
  private recover(): void {
    this.wake();
    this.takeOverPending = false;
    this.recovering = true;
    this.reaper
      .recover()
      .then((more) => (this.takeOverPending ||= more))
      .catch((err: unknown) => this.report(err, 'takeOver'))
      .finally(() => (this.recovering = false));
  }

  /** Gives the leases of executions that have not started back to the store. */
  private async handBack(claims: Claim[]): Promise<void> {
    const leases: HeldLease[] = [];
    for (const claim of claims) {
      const lease = this.leases.get(claim.execution.id);
      if (
        lease &&
        lease.leaseToken === claim.execution.leaseToken &&
        this.leases.drop(claim.execution.id, lease)
      ) {
        leases.push(lease);
      }
    }
    if (leases.length === 0) return;
    try {
      await this.deps.store.leasesRelease({ leases: Leases.refs(leases) });
    } catch (err) {
      this.report(err, 'leasesRelease');
    }
  }

  /** A lost lease's execution leaves the timer (the runner skips leases no longer held). */
  private forget(lease: HeldLease): void {
    this.timer.remove((held) => held === lease);
  }

  private async settleWithin(timeoutMs: number): Promise<boolean> {
    let handle: TimerHandle | undefined;
    const expired = new Promise<false>((resolve) => {
      handle = this.deps.clock.setTimeout(() => resolve(false), timeoutMs);
    });
    const settled = await Promise.race([this.runner.idle().then(() => true as const), expired]);
    this.deps.clock.clearTimeout(handle);
    return settled;
  }

  private report(err: unknown, during: string): void {
    this.deps.logger.error({ err, during }, 'engine step failed');
    this.deps.events.emit('error', { error: toError(err), during });
  }
}
