/**
 * Clock skew correction. A store whose database has a clock of its own
 * (Postgres) reports how far the local clock is from it
 * (`Store.clockSkewMs`); the scheduler measures that at start and every
 * minute, and runs its engine on the local clock plus the skew, so that every
 * host judges lease expiry, due times and fire instants by the one database
 * clock. A skew past a threshold is logged as a warning — once per change of
 * its sign or order of magnitude, not at every measurement.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from './clock.js';

/** How often the skew is measured again after the first measurement, in ms. */
export const SKEW_CHECK_MS = 60_000;

/** A skew larger than this (in ms, either way) is logged as a warning. */
export const SKEW_WARN_MS = 1_000;

/**
 * `base` corrected by a skew: `now()` is the base time plus `skewMs()` (read
 * at every call, so a new measurement applies at once). Timeouts are relative
 * and pass through to the base clock unchanged.
 */
export function skewedClock(base: Clock, skewMs: () => number): Clock {
  return {
    now: () => base.now() + skewMs(),
    setTimeout: (fn: () => void, ms: number): TimerHandle => base.setTimeout(fn, ms),
    clearTimeout: (handle: TimerHandle) => base.clearTimeout(handle),
  };
}

/** What a {@link ClockSkewMonitor} needs. */
export interface ClockSkewMonitorOptions {
  /** Measures the skew: the reference clock minus the local clock, in ms. */
  measure: () => Promise<number>;
  /** The local clock; its timeouts pace the measurements. */
  clock: Clock;
  logger: Logger;
  /** @defaultValue {@link SKEW_CHECK_MS} */
  checkEveryMs?: number;
  /** @defaultValue {@link SKEW_WARN_MS} */
  warnAboveMs?: number;
}

/**
 * Keeps the current skew: measured by {@link measure} (at start), then every
 * `checkEveryMs` once {@link start}ed, until {@link stop}. A failed
 * measurement is logged and keeps the last value.
 */
export class ClockSkewMonitor {
  private skew = 0;
  /** The bucket last warned about (0: none, or back within the threshold). */
  private warned = 0;
  private handle: TimerHandle | undefined;
  private measuring: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly checkEveryMs: number;
  private readonly warnAboveMs: number;

  constructor(private readonly options: ClockSkewMonitorOptions) {
    this.checkEveryMs = options.checkEveryMs ?? SKEW_CHECK_MS;
    this.warnAboveMs = options.warnAboveMs ?? SKEW_WARN_MS;
  }

  /** The last measured skew in ms (0 before the first measurement). */
  get current(): number {
    return this.skew;
  }

  /** Measures once; never throws. */
  async measure(): Promise<void> {
    let skew: number;
    try {
      skew = await this.options.measure();
    } catch (err) {
      this.options.logger.warn(
        { err, clockSkewMs: this.skew },
        'could not measure the clock skew against the store; keeping the last measurement',
      );
      return;
    }
    if (!Number.isFinite(skew)) return;
    this.skew = Math.round(skew);
    this.judge(this.skew);
  }

  /** Measures every `checkEveryMs` from now on. */
  start(): void {
    if (this.stopped || this.handle !== undefined) return;
    this.schedule();
  }

  /** Stops measuring; resolves once a measurement under way is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.handle !== undefined) this.options.clock.clearTimeout(this.handle);
    this.handle = undefined;
    await this.measuring;
  }

  private schedule(): void {
    this.handle = this.options.clock.setTimeout(() => {
      this.handle = undefined;
      this.measuring = this.measure().finally(() => {
        if (!this.stopped) this.schedule();
      });
    }, this.checkEveryMs);
  }

  /**
   * Warns when the skew enters a new bucket past the threshold: its sign and
   * its order of magnitude in powers of two of the threshold (1–2 s, 2–4 s,
   * 4–8 s, … with the default). It counts as back to normal — and is told
   * again if it returns — only once within half the threshold, so a skew
   * hovering at the threshold does not warn every minute.
   */
  private judge(skew: number): void {
    const abs = Math.abs(skew);
    if (abs <= this.warnAboveMs) {
      if (this.warned !== 0 && abs <= this.warnAboveMs / 2) {
        this.warned = 0;
        this.options.logger.info(
          { clockSkewMs: skew },
          'the local clock is back within the clock skew threshold of the database clock',
        );
      }
      return;
    }
    const bucket = Math.sign(skew) * (1 + Math.floor(Math.log2(abs / this.warnAboveMs)));
    if (bucket === this.warned) return;
    this.warned = bucket;
    this.options.logger.warn(
      { clockSkewMs: skew, thresholdMs: this.warnAboveMs },
      `the local clock is ${abs} ms ${skew > 0 ? 'behind' : 'ahead of'} the database clock: ` +
        'the scheduler corrects for it, but check the time synchronisation (NTP) of this host',
    );
  }
}

/**
 * The skew monitor of a store that can measure it (`store.clockSkewMs`), or
 * undefined when the store has no clock of its own.
 */
export function clockSkewMonitorFor(
  store: { clockSkewMs?(): Promise<number> },
  clock: Clock,
  logger: Logger,
): ClockSkewMonitor | undefined {
  if (typeof store.clockSkewMs !== 'function') return undefined;
  const measure = () => store.clockSkewMs?.() ?? Promise.resolve(0);
  return new ClockSkewMonitor({ measure, clock, logger });
}
