/**
 * The horizon a store asks for (`capabilities.horizonMs`): a scheduler given
 * no `horizonMs` plans and leases that far ahead, when it is longer than the
 * default 2 s; an explicit `horizonMs` wins. The NATS store asks for 10 s on a
 * cluster, to ride through a stream leader's election (test/multiprocess.nats.test.ts,
 * the server-kill run).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStore, natsStore, once, type Scheduler, type Store } from '../src/index.js';
import { testScheduler } from './helpers/scheduler.js';

/** A memory store that asks for `horizonMs`. */
function asking(horizonMs: number): Store {
  const store = memoryStore();
  Object.defineProperty(store, 'capabilities', { value: { notify: false, horizonMs } });
  return store;
}

describe('the horizon a store asks for', () => {
  let scheduler: Scheduler | undefined;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  /** Starts a scheduler with a one-shot `aheadMs` from now; the executions planned after 100 ms. */
  async function plannedAhead(store: Store, aheadMs: number, horizonMs?: number) {
    const t = testScheduler({ store, ...(horizonMs === undefined ? {} : { horizonMs }) });
    scheduler = t.scheduler;
    scheduler.handle('h', () => undefined);
    await scheduler.start();
    await scheduler.ensureJob({
      id: 'ahead',
      schedule: once(new Date(t.clock.now() + aheadMs)),
      target: { type: 'handler', name: 'h' },
    });
    await t.clock.advance(100);
    const { items } = await scheduler.listExecutions({ jobId: 'ahead' });
    return items.map((e) => e.status);
  }

  it('plans a fire 8 s ahead at once on a store asking for 10 s', async () => {
    expect(await plannedAhead(asking(10_000), 8_000)).toEqual(['scheduled']);
  });

  it('keeps the default 2 s on a store without a horizon, or asking for less', async () => {
    expect(await plannedAhead(memoryStore(), 3_000)).toEqual([]);
    await scheduler?.stop({ timeoutMs: 0 });
    expect(await plannedAhead(asking(500), 3_000)).toEqual([]);
    await scheduler?.stop({ timeoutMs: 0 });
    expect(await plannedAhead(asking(500), 1_500)).toEqual(['scheduled']);
  });

  it('lets an explicit horizonMs win over the store’s', async () => {
    expect(await plannedAhead(asking(10_000), 8_000, 2_000)).toEqual([]);
  });

  it('is asked for by the NATS store on a cluster only', () => {
    const servers = ['nats://127.0.0.1:4222'];
    expect(natsStore({ servers, replicas: 3 }).capabilities.horizonMs).toBe(10_000);
    expect(natsStore({ servers }).capabilities.horizonMs).toBeUndefined();
  });
});
