/**
 * How an instance's attempts run, measured: their rate of finishing and their
 * run time (moving averages), and from those the room the runner makes
 * beyond its slots and the prefetch the engine holds.
 */

/**
 * How long a started execution may expect to wait for a slot. Executions are
 * started beyond the free slots only as far as the slots, turning over at the
 * attempts' measured run time, reach them within this: fast handlers get
 * their starts written ahead, slow ones hold one started execution per slot.
 */
export const SLOT_WAIT_MS = 1_000;
/**
 * The instance's own work per attempt (its start, its dispatch, its outcome:
 * about 50 µs in the drain bench): however quick the handlers, slots turn
 * over no faster than this.
 */
const ATTEMPT_OVERHEAD_MS = 0.05;
/** Weight of the newest attempt in the moving average of attempt run times. */
const RUN_TIME_WEIGHT = 0.125;
/** The period over which the rate of finished attempts is averaged. */
const RATE_PERIOD_MS = 1_000;
/** Shortest part of a period whose rate, when higher, is taken at once (a fresh instance's first burst). */
const RATE_RISE_MS = 250;

/** The measured pace of one instance's attempts. */
export class Throughput {
  /** Attempts finished since `rateSince` (clock ms), and the moving average of their rate. */
  private finishedCount = 0;
  private rateSince: number;
  private ratePerMs = 0;
  /** Moving average of attempts' run times (ms, call to settle); undefined until one ended. */
  private runTimeMs: number | undefined;

  constructor(
    private readonly concurrency: number,
    now: number,
  ) {
    this.rateSince = now;
  }

  /** An attempt ended after running `runTimeMs`. */
  finished(runTimeMs: number): void {
    this.finishedCount++;
    this.runTimeMs =
      this.runTimeMs === undefined
        ? runTimeMs
        : this.runTimeMs + (runTimeMs - this.runTimeMs) * RUN_TIME_WEIGHT;
  }

  /**
   * Attempts finished per ms, lately: a moving average over periods of a
   * second or more, a rise taken at once and a fall smoothed. Within a
   * period, a rise counts as soon as a quarter of a second shows it (a burst
   * needs room now, and a fresh instance has measured nothing yet), but only
   * what the slots alone cannot explain: up to `concurrency` attempts begun
   * before the period may end in it, so slow handlers finishing in waves do
   * not look fast.
   */
  finishedPerMs(now: number): number {
    const elapsed = now - this.rateSince;
    if (elapsed >= RATE_PERIOD_MS) {
      const rate = this.finishedCount / elapsed;
      this.ratePerMs =
        rate > this.ratePerMs ? rate : this.ratePerMs + (rate - this.ratePerMs) * 0.5;
      this.finishedCount = 0;
      this.rateSince = now;
    } else if (elapsed >= RATE_RISE_MS) {
      const shown = (this.finishedCount - this.concurrency) / elapsed;
      if (shown > this.ratePerMs) this.ratePerMs = shown;
    }
    return this.ratePerMs;
  }

  /**
   * Executions the slots reach within {@link SLOT_WAIT_MS}: each slot turns
   * over once per attempt run time, and the instance dispatches at most one
   * attempt per {@link ATTEMPT_OVERHEAD_MS}. It is the room a burst's
   * instant needs: an instance's rate of finished attempts only shows the
   * work it was given, not how much more it could take. 0 before any attempt ended.
   */
  reachWithinSlotWait(): number {
    if (this.runTimeMs === undefined) return 0;
    const perAttemptMs = Math.max(this.runTimeMs / this.concurrency, ATTEMPT_OVERHEAD_MS);
    return Math.floor(SLOT_WAIT_MS / perAttemptMs);
  }
}
