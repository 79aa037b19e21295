/**
 * The jobs bucket mirror's keys in the order they come due, kept up to date
 * by the mirror's changes: job documents by their next fire (unpaused),
 * executions waiting for a claim by their run time, and leased executions
 * by their lease's end. What is due is read from the front of these orders,
 * so a planning pass, a claim or a take-over's leases cost what is due — not
 * a scan of every job and kept execution the mirror holds.
 */
import { createRequire } from 'node:module';
import type btree from 'sorted-btree';
import { dueOfDocument, dueOfWork, hasWork, isDocument, type Stored } from './documents.js';

/**
 * The B+ tree of `sorted-btree`, a CommonJS module whose class is its
 * `default` export: required, so Node and Vitest load it alike.
 */
const { default: BTree } = createRequire(import.meta.url)('sorted-btree') as typeof btree;

/** Keys ordered by an instant (ties by key). */
export class ByInstant {
  private readonly tree = new BTree<[number, string], undefined>(undefined, compare);
  private readonly instants = new Map<string, number>();

  /** Sets the instant of `key` (null: takes it out). */
  set(key: string, at: number | null): void {
    const was = this.instants.get(key);
    if (was === at) return;
    if (was !== undefined) this.tree.delete([was, key]);
    if (at === null) this.instants.delete(key);
    else {
      this.tree.set([at, key], undefined);
      this.instants.set(key, at);
    }
  }

  /** The instant of `key`, or null when it holds no such key. */
  instantOf(key: string): number | null {
    return this.instants.get(key) ?? null;
  }

  /** The earliest instant, or null when it holds no key. */
  first(): number | null {
    return this.tree.minKey()?.[0] ?? null;
  }

  /** The keys whose instant is at most `bound`, earliest first, with their instant. */
  *upTo(bound: number): IterableIterator<[number, string]> {
    for (const [entry] of this.tree.entries()) {
      if (entry[0] > bound) return;
      yield entry;
    }
  }
}

/** The three orders of the jobs bucket's mirror (see the module comment). */
export class DueIndex {
  /** Job document keys by their unpaused next fire. */
  readonly documents = new ByInstant();
  /** Execution keys of work no one holds, by run time. */
  readonly waiting = new ByInstant();
  /** Execution keys of held work, by the end of its lease. */
  readonly leased = new ByInstant();

  /** Applies a mirror change of `key`. */
  change(key: string, after: Stored | null): void {
    if (after !== null && isDocument(after)) {
      this.documents.set(key, dueOfDocument(after));
      return;
    }
    this.documents.set(key, null);
    this.waiting.set(key, after === null ? null : dueOfWork(after));
    const held = after !== null && hasWork(after) && after.leaseOwner !== null;
    this.leased.set(key, held ? (after.leaseUntil ?? 0) : null);
  }
}

function compare(a: [number, string], b: [number, string]): number {
  return a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
}
