import type { RunningMark, Store } from '../stores/store.js';
import type { Clock, TimerHandle } from './clock.js';
import type { HeldLease } from './leases.js';

/**
 * How long an attempt runs before it is marked `running` in the store. A
 * quick attempt writes nothing before its outcome; one that outlives this is
 * recorded as running (its number and start), so a long job shows as running
 * to every instance and every reader, at the cost of one batched write.
 */
export const MARK_AFTER_MS = 1_000;

/** An attempt running here. */
export interface RunningAttempt {
  readonly lease: HeldLease;
  readonly attempt: number;
  readonly startedAt: number;
  /** Its store record says it runs (marked, or started by a fenced start). */
  marked: boolean;
}

/**
 * The attempts this instance runs, and the lazy marks of the long ones: one
 * timer while attempts run unmarked, firing when the oldest of them turns
 * {@link MARK_AFTER_MS} old and marking every such one in one store call.
 */
export class RunningMarks {
  private readonly running = new Set<RunningAttempt>();
  private handle: TimerHandle | undefined;
  private marking: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly report: (err: unknown) => void,
  ) {}

  /** An attempt starts; `marked` when its store record already says it runs. */
  add(lease: HeldLease, attempt: number, startedAt: number, marked: boolean): RunningAttempt {
    const running: RunningAttempt = { lease, attempt, startedAt, marked };
    this.running.add(running);
    if (!marked) this.arm(startedAt + MARK_AFTER_MS);
    return running;
  }

  /** An attempt ended. */
  remove(running: RunningAttempt): void {
    this.running.delete(running);
  }

  /** Stops marking; resolves once a write under way is done. */
  async stop(): Promise<void> {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    await this.marking;
  }

  private arm(at: number): void {
    if (this.handle !== undefined) return;
    this.handle = this.clock.setTimeout(
      () => {
        this.handle = undefined;
        this.marking = this.markDue();
      },
      Math.max(0, at - this.clock.now()),
    );
  }

  /** Marks every unmarked attempt older than {@link MARK_AFTER_MS}; re-arms for the next one. */
  private async markDue(): Promise<void> {
    const now = this.clock.now();
    const due = [...this.running].filter((r) => !r.marked && r.startedAt + MARK_AFTER_MS <= now);
    if (due.length > 0) {
      const marks: RunningMark[] = due.map((r) => ({
        id: r.lease.claim.execution.id,
        leaseToken: r.lease.leaseToken,
        attempt: r.attempt,
        startedAt: r.startedAt,
      }));
      try {
        await this.store.executionsMarkRunning({ marks });
        for (const r of due) r.marked = true;
      } catch (err) {
        // Tried again a mark's age later: the store may be back by then.
        this.report(err);
        this.arm(this.clock.now() + MARK_AFTER_MS);
        return;
      }
    }
    const next = [...this.running].filter((r) => !r.marked);
    if (next.length > 0) this.arm(Math.min(...next.map((r) => r.startedAt)) + MARK_AFTER_MS);
  }
}
