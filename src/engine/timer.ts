import TinyQueue from 'tinyqueue';
import type { Clock, TimerHandle } from './clock.js';
import type { Claim } from '../stores/store.js';

/**
 * One in-memory timer over a min-heap of claimed executions by `runAt`. It
 * hands each execution to `dispatch` at its instant, and is never armed
 * further than `maxSleepMs` ahead: on every wake it re-reads the clock and
 * re-arms, so a clock step can neither busy-loop it nor make it fire twice.
 */
export class Timer {
  private readonly heap = new TinyQueue<Claim>([], (a, b) => a.execution.runAt - b.execution.runAt);
  /** Entries removed while still in the heap (lazy deletion). */
  private readonly dropped = new Set<Claim>();
  private handle: TimerHandle | undefined;
  private armedFor = Number.POSITIVE_INFINITY;

  constructor(
    private readonly clock: Clock,
    private readonly maxSleepMs: number,
    private readonly dispatch: (due: Claim[]) => void,
  ) {}

  /** Executions waiting for their instant. */
  get size(): number {
    return this.heap.length - this.dropped.size;
  }

  /** Adds claimed executions and re-arms when one is due sooner. */
  add(claims: Claim[]): void {
    for (const claim of claims) this.heap.push(claim);
    this.arm();
  }

  /** Removes the waiting executions that `predicate` selects; returns them. */
  remove(predicate: (claim: Claim) => boolean): Claim[] {
    const removed = this.heap.data.filter((c) => !this.dropped.has(c) && predicate(c));
    for (const claim of removed) this.dropped.add(claim);
    return removed;
  }

  /** Empties the heap and disarms; returns what was waiting. */
  clear(): Claim[] {
    const waiting = this.heap.data.filter((c) => !this.dropped.has(c));
    while (this.heap.length > 0) this.heap.pop();
    this.dropped.clear();
    this.disarm();
    return waiting;
  }

  private arm(): void {
    const head = this.peek();
    if (!head) return this.disarm();
    const now = this.clock.now();
    const at = Math.min(head.execution.runAt, now + this.maxSleepMs);
    if (this.handle !== undefined && at >= this.armedFor) return;
    this.disarm();
    this.armedFor = at;
    this.handle = this.clock.setTimeout(() => this.wake(), Math.max(0, at - now));
  }

  private disarm(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
  }

  private wake(): void {
    this.handle = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    const due: Claim[] = [];
    for (let head = this.peek(); head && head.execution.runAt <= now; head = this.peek()) {
      this.heap.pop();
      due.push(head);
    }
    if (due.length > 0) this.dispatch(due);
    this.arm();
  }

  /** The earliest live entry, discarding dropped ones. */
  private peek(): Claim | undefined {
    for (let head = this.heap.peek(); head; head = this.heap.peek()) {
      if (!this.dropped.delete(head)) return head;
      this.heap.pop();
    }
    return undefined;
  }
}
