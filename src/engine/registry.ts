import type { Logger } from 'pino';
import { SHARDS, type InstanceInfo, type InstanceRecord, type Share } from '../stores/instances.js';
import type { Store } from '../stores/store.js';
import type { Clock, TimerHandle } from './clock.js';
import { toError, type SchedulerEmitter } from './events.js';

/** What the registry needs from the engine. */
export interface RegistryDeps {
  store: Store;
  clock: Clock;
  events: SchedulerEmitter;
  logger: Logger;
  /** What this instance says of itself (its start time is taken at {@link Registry.start}). */
  instance: Omit<InstanceInfo, 'startedAt'>;
  /** Pause between two signs of life. */
  heartbeatMs: number;
  /** Silence after which an instance is dead. */
  deadAfterMs: number;
  /** How long before its instant work of another share may be taken (see {@link Share}). */
  shareFallbackMs: number;
  /** What this instance holds now, for its sign of life. */
  load: () => { held: number; running: number };
  /** Instances died (this beat declared them, or another one did): their work is free now. */
  onDeaths: () => void;
  /** This instance was declared dead: every lease it holds is void. */
  onDeclaredDead: () => void;
}

/**
 * The engine's side of the registry of live instances: it registers this
 * instance, shows a sign of life every `heartbeatMs` (which declares dead the
 * instances the store finds dead, and answers who is alive), deregisters at a
 * clean stop, and from the live set tells this instance its share of the due
 * work.
 *
 * An instance that has not confirmed its registration for nearly `deadAfterMs`
 * — its process was stopped, its event loop stalled, its store unreachable —
 * may have been declared dead meanwhile: it is not {@link trusted} to start
 * attempts until a sign of life confirms it is still registered (if it was
 * not, its leases are void and it registers again). So after a long pause no
 * fire already taken over elsewhere runs here too.
 */
export class Registry {
  private live: InstanceRecord[] = [];
  private registered = false;
  /** The engine time of the last sign of life the store accepted. */
  private confirmedAt = Number.NEGATIVE_INFINITY;
  /** This instance's last silence longer than a heartbeat: when it ended, and its excess over one. */
  private outage = { endedAt: Number.NEGATIVE_INFINITY, excessMs: 0 };
  private startedAt = 0;
  private handle: TimerHandle | undefined;
  private beating: Promise<void> | undefined;
  private stopped = false;
  /** Stopping: {@link confirm} no longer waits. */
  private ending = false;
  /** The next sign of life follows soon (the store could not vouch for this one). */
  private soon = false;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly deps: RegistryDeps) {}

  /** The live instances as of the last sign of life, by id. */
  instances(): InstanceRecord[] {
    return this.live;
  }

  /**
   * Registers this instance and starts showing life.
   * @throws ChimeError `CHIME_ERR_INSTANCE_ID_TAKEN` when a live instance has its id.
   */
  async start(): Promise<void> {
    this.startedAt = this.deps.clock.now();
    await this.register();
    this.schedule();
  }

  /**
   * Ends the waits of {@link confirm}: a stopping instance takes nothing more,
   * so nothing waits for a sign of life to get through (it keeps showing life
   * until {@link stop}, for the attempts it still runs).
   */
  stopping(): void {
    this.ending = true;
    this.release();
  }

  /** Stops showing life and deregisters (the store voids any lease still held). */
  async stop(): Promise<void> {
    this.stopping();
    this.stopped = true;
    if (this.handle !== undefined) this.deps.clock.clearTimeout(this.handle);
    await this.beating;
    this.release();
    try {
      await this.deps.store.instanceDeregister({ id: this.id, now: this.deps.clock.now() });
    } catch (err) {
      this.report(err, 'instanceDeregister');
    }
  }

  /**
   * This instance's share of the due work at `now`, or undefined when it is
   * alone (all of it). Instance `i` of `n` live ones, by id, takes the shards
   * `[i·SHARDS/n, (i+1)·SHARDS/n)`; everyone takes what is due within
   * `shareFallbackMs`, so nothing waits on a share whose owner is gone.
   */
  share(now: number): Share | undefined {
    const n = this.live.length;
    const i = this.live.findIndex((instance) => instance.id === this.id);
    if (n <= 1 || i < 0) return undefined;
    return {
      from: Math.floor((i * SHARDS) / n),
      to: Math.floor(((i + 1) * SHARDS) / n),
      othersBefore: now + this.deps.shareFallbackMs,
    };
  }

  /**
   * True while this instance can be sure it is still registered: its last
   * accepted sign of life is recent enough that nobody can have declared it
   * dead (half a heartbeat of margin).
   */
  trusted(now: number): boolean {
    return (
      this.registered && now < this.confirmedAt + this.deps.deadAfterMs - this.deps.heartbeatMs / 2
    );
  }

  /** Resolves once a sign of life has confirmed (or restored) this instance's registration. */
  confirm(): Promise<void> {
    if (this.ending) return Promise.resolve();
    const confirmed = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.beatNow();
    return confirmed;
  }

  private get id(): string {
    return this.deps.instance.id;
  }

  private schedule(delayMs = this.deps.heartbeatMs): void {
    if (this.stopped) return;
    if (this.handle !== undefined) this.deps.clock.clearTimeout(this.handle);
    this.handle = this.deps.clock.setTimeout(() => this.beatNow(), delayMs);
  }

  /** The next sign of life in a tenth of a heartbeat (instead of a whole one). */
  private retrySoon(): void {
    this.soon = true;
  }

  /** Shows life now (unless a beat is under way), then schedules the next beat. */
  private beatNow(): void {
    if (this.stopped || this.beating) return;
    if (this.handle !== undefined) this.deps.clock.clearTimeout(this.handle);
    this.beating = this.beat().finally(() => {
      this.beating = undefined;
      const soon = this.soon;
      this.soon = false;
      this.schedule(soon ? Math.ceil(this.deps.heartbeatMs / 10) : this.deps.heartbeatMs);
    });
  }

  private async beat(): Promise<void> {
    const now = this.deps.clock.now();
    const { held, running } = this.deps.load();
    try {
      const result = await this.deps.store.instanceBeat({
        id: this.id,
        now,
        held,
        running,
        deadBefore: this.deadBefore(now),
      });
      const before = new Set(this.live.map((instance) => instance.id));
      this.live = result.live;
      for (const id of result.declaredDead) this.announceDeath(id);
      if (!result.registered) {
        await this.reregister();
        return;
      }
      if (!result.vouched) {
        // Its store cannot vouch for it right now (a lock being taken again): soon again.
        this.retrySoon();
        return;
      }
      const silentMs = this.ongoingSilenceMs(now);
      if (silentMs > 0) this.outage = { endedAt: now, excessMs: silentMs };
      this.confirmedAt = now;
      this.release();
      const lost = [...before].some((id) => !this.live.some((instance) => instance.id === id));
      if (result.declaredDead.length > 0 || lost) this.deps.onDeaths();
    } catch (err) {
      this.report(err, 'instanceBeat');
    }
  }

  /**
   * Silence before this instant is death. This instance's own silence (its
   * signs of life not accepted: it was stopped, its clock jumped, its store
   * could not write — a NATS stream electing a leader) does not count against
   * the others: a peer's silence is `deadAfterMs` without counting the part
   * beyond a heartbeat of this instance's ongoing silence, or of its last one
   * while that ended less than `deadAfterMs` ago. So after an outage both saw,
   * a peer whose sign of life is held up a moment longer (a send to a lost
   * server waiting its timeout) is not declared dead at once; a dead one is,
   * `deadAfterMs` after this instance's return.
   */
  private deadBefore(now: number): number {
    const { deadAfterMs } = this.deps;
    const recent = now - this.outage.endedAt < deadAfterMs ? this.outage.excessMs : 0;
    return now - deadAfterMs - Math.max(this.ongoingSilenceMs(now), recent);
  }

  /** How much longer than a heartbeat this instance has gone without an accepted sign of life. */
  private ongoingSilenceMs(now: number): number {
    if (!Number.isFinite(this.confirmedAt)) return 0;
    return Math.max(0, now - this.confirmedAt - this.deps.heartbeatMs);
  }

  /** This instance was declared dead: its leases are void; it registers again. */
  private async reregister(): Promise<void> {
    this.registered = false;
    this.deps.logger.warn(
      { instanceId: this.id },
      'this instance was declared dead (silent too long, or its store lost sight of it); its leases are void; registering again',
    );
    this.deps.events.emit('instance:declared-dead', { instanceId: this.id });
    this.deps.onDeclaredDead();
    try {
      await this.register();
      this.release();
    } catch (err) {
      // The next beat finds it unregistered again, and tries again.
      this.report(err, 'instanceRegister');
    }
  }

  private async register(): Promise<void> {
    const now = this.deps.clock.now();
    const instance = { ...this.deps.instance, startedAt: this.startedAt };
    await this.deps.store.instanceRegister({ instance, now, deadBefore: this.deadBefore(now) });
    this.registered = true;
    this.confirmedAt = now;
    this.live = await this.deps.store.instancesList().catch(() => this.live);
  }

  private announceDeath(id: string): void {
    this.deps.logger.warn({ instanceId: id }, 'declared an instance dead; its leases are void');
    this.deps.events.emit('instance:dead', { instanceId: id, declaredBy: this.id });
  }

  /** Wakes the callers of {@link confirm}. */
  private release(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private report(err: unknown, during: string): void {
    this.deps.logger.error({ err, during }, 'registry step failed');
    this.deps.events.emit('error', { error: toError(err), during });
  }
}
