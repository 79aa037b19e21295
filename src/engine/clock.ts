/**
 * The engine's only source of time. Outside this module the engine never reads
 * `Date.now()` nor arms `setTimeout` itself, so tests can drive it with a
 * {@link TestClock}.
 */

/** An armed timeout, as returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/** Time and timeouts. */
export interface Clock {
  /** Current time in epoch milliseconds. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds (never armed beyond {@link MAX_TIMER_MS}). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timeout armed by this clock. */
  clearTimeout(handle: TimerHandle): void;
}

/** Node's `setTimeout` overflows past 2^31-1 ms (24.8 days); no timer is armed longer. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The real clock: `Date.now()` and Node timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_MS)),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface PendingTimeout {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A clock that moves only when told to. `advance(ms)` runs every timeout that
 * falls due, in order, with `now()` set to each one's instant, and lets the
 * promises they start settle between them.
 */
export class TestClock implements Clock {
  private current: number;
  private nextId = 1;
  private pending: PendingTimeout[] = [];

  /** Starts at `start` (epoch ms or a Date; default 2026-01-01T00:00:00Z). */
  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timeout = {
      id: this.nextId++,
      at: this.current + Math.min(Math.max(0, ms), MAX_TIMER_MS),
      fn,
    };
    this.pending.push(timeout);
    return timeout.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending = this.pending.filter((t) => t.id !== handle);
  }

  /** Number of armed timeouts, and the furthest one's delay from now. */
  get armed(): { count: number; furthestMs: number } {
    const furthest = Math.max(this.current, ...this.pending.map((t) => t.at));
    return { count: this.pending.length, furthestMs: furthest - this.current };
  }

  /**
   * Moves time forward by `ms`, running the timeouts that fall due in order.
   * Between timeouts, and before time reaches its target, it lets the work
   * they started settle, so a timeout armed by that work is not left behind.
   */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await settle();
      const next = this.pending
        .filter((t) => t.at <= target)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (next) {
        this.pending = this.pending.filter((t) => t !== next);
        this.current = Math.max(this.current, next.at);
        next.fn();
        continue;
      }
      if (this.current === target) return;
      this.current = target;
    }
  }

  /** Jumps the wall clock (forward or back) without running timeouts: a clock step. */
  jump(ms: number): void {
    this.current += ms;
    for (const t of this.pending) t.at += ms;
  }
}

/** Lets pending promise callbacks and I/O callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
