import TinyQueue from 'tinyqueue';
import type { Claim } from '../stores/store.js';
import type { Clock, TimerHandle } from './clock.js';

/** An entry of a {@link Timer}: anything that holds a claimed execution. */
export interface Timed {
  readonly claim: Claim;
}

const byRunAt = (a: Timed, b: Timed) => a.claim.execution.runAt - b.claim.execution.runAt;

/**
 * One in-memory timer over a min-heap of claimed executions by `runAt`. It
 * hands each entry to `dispatch` `leadMs` before its instant (0: at it), and
 * is never armed further than `maxSleepMs` ahead: on every wake it re-reads
 * the clock and re-arms, so a clock step can neither busy-loop it nor make it
 * fire twice.
 */
export class Timer<T extends Timed> {
  private readonly heap = new TinyQueue<T>([], byRunAt);
  /** Entries removed while still in the heap (lazy deletion). */
  private readonly dropped = new Set<T>();
  private handle: TimerHandle | undefined;
  private armedFor = Number.POSITIVE_INFINITY;

  constructor(
    private readonly clock: Clock,
    private readonly maxSleepMs: number,
    private readonly dispatch: (due: T[]) => void,
    private readonly leadMs = 0,
  ) {}

  /** Executions waiting for their instant. */
  get size(): number {
    return this.heap.length - this.dropped.size;
  }

  /**
   * Adds claimed executions. Those due already are dispatched at once (with
   * any waiting entry now due, by instant), never entering the heap; the
   * timer then re-arms if one left is due sooner.
   */
  add(entries: T[]): void {
    const until = this.clock.now() + this.leadMs;
    const due: T[] = [];
    for (const entry of entries) {
      if (entry.claim.execution.runAt <= until) due.push(entry);
      else this.heap.push(entry);
    }
    if (due.length === 0) return this.arm();
    this.takeDue(until, due).sort(byRunAt); // stable, and linear on claims that came by instant
    this.disarm();
    this.dispatch(due);
    this.arm();
  }

  /** Removes the waiting executions that `predicate` selects; returns them. */
  remove(predicate: (entry: T) => boolean): T[] {
    const removed = this.heap.data.filter((c) => !this.dropped.has(c) && predicate(c));
    for (const claim of removed) this.dropped.add(claim);
    return removed;
  }

  /** Empties the heap and disarms; returns what was waiting. */
  clear(): T[] {
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
    const at = Math.min(head.claim.execution.runAt - this.leadMs, now + this.maxSleepMs);
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
    const due = this.takeDue(this.clock.now() + this.leadMs, []);
    if (due.length > 0) this.dispatch(due);
    this.arm();
  }

  /** Moves the waiting entries due by `until` out of the heap onto `due`, by instant. */
  private takeDue(until: number, due: T[]): T[] {
    for (let head = this.peek(); head && head.claim.execution.runAt <= until; head = this.peek()) {
      this.heap.pop();
      due.push(head);
    }
    return due;
  }

  /** The earliest live entry, discarding dropped ones. */
  private peek(): T | undefined {
    for (let head = this.heap.peek(); head; head = this.heap.peek()) {
      if (!this.dropped.delete(head)) return head;
      this.heap.pop();
    }
    return undefined;
  }
}
