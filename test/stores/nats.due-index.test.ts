/**
 * The NATS store's order of what comes due (`due-index.ts`), kept from the
 * mirror's changes: a job's document by its unpaused next fire, work no one
 * holds by its run time, held work by its lease's end — each key once, moved
 * or taken out as its value changes.
 */
import { describe, expect, it } from 'vitest';
import { ByInstant, DueIndex } from '../../src/stores/nats/due-index.js';
import type { JobDocument, Work } from '../../src/stores/nats/documents.js';
import { makeExecutionRecord, makeJobRecord, T0 } from './records.js';

const keys = (order: ByInstant, bound = Number.POSITIVE_INFINITY) =>
  [...order.upTo(bound)].map(([at, key]) => `${key}@${at - T0}`);

describe('ByInstant', () => {
  it('lists keys earliest first up to a bound, ties by key, each key once at its last instant', () => {
    const order = new ByInstant();
    order.set('b', T0 + 2);
    order.set('a', T0 + 2);
    order.set('c', T0 + 1);
    order.set('d', T0 + 9);
    order.set('d', T0 + 3);
    expect(keys(order)).toEqual(['c@1', 'a@2', 'b@2', 'd@3']);
    expect(keys(order, T0 + 2)).toEqual(['c@1', 'a@2', 'b@2']);
    expect(order.first()).toBe(T0 + 1);
    order.set('c', null);
    order.set('x', null);
    expect(keys(order)).toEqual(['a@2', 'b@2', 'd@3']);
    for (const key of ['a', 'b', 'd']) order.set(key, null);
    expect(order.first()).toBeNull();
  });
});

describe('DueIndex', () => {
  const doc = (nextFireAt: number | null, paused = false): JobDocument => ({
    job: makeJobRecord({ id: 'j', nextFireAt, paused }),
    applied: {},
    starts: {},
  });
  const work = (fields: Partial<Work>): Work => ({
    ...makeExecutionRecord({ jobId: 'j', fireAt: T0, runAt: T0 }),
    ...fields,
  });

  it('orders a job by its next fire while it is not paused', () => {
    const due = new DueIndex();
    due.change('j', doc(T0 + 5));
    expect(keys(due.documents)).toEqual(['j@5']);
    due.change('j', doc(T0 + 5, true));
    expect(keys(due.documents)).toEqual([]);
    due.change('j', doc(T0 + 7));
    due.change('j', null);
    expect(keys(due.documents)).toEqual([]);
  });

  it('orders work by its run time while no one holds it, by its lease’s end while held, and not once finished', () => {
    const due = new DueIndex();
    due.change('j.f1', work({ runAt: T0 + 1 }));
    expect([keys(due.waiting), keys(due.leased)]).toEqual([['j.f1@1'], []]);
    due.change('j.f1', work({ runAt: T0 + 1, leaseOwner: 'a', leaseUntil: T0 + 30 }));
    expect([keys(due.waiting), keys(due.leased)]).toEqual([[], ['j.f1@30']]);
    due.change('j.f1', work({ status: 'succeeded', finishedAt: T0 + 2 }));
    expect([keys(due.waiting), keys(due.leased), keys(due.documents)]).toEqual([[], [], []]);
  });
});
