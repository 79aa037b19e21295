/**
 * The NATS store's signs of life come from a thread of their own: a process
 * whose main thread is held up (here: blocked outright, as a catch-up's CPU
 * starves it) keeps its instance registered, and is not declared dead by the
 * others; one whose main thread is silent for six dead times is taken for
 * hung and is. Engine time is the wall clock here, as in production.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { NatsStore } from '../../src/stores/nats/index.js';
import { encode, keyOf, workKey } from '../../src/stores/nats/documents.js';
import { endLifeThread } from '../../src/stores/nats/life-thread.js';
import { until } from '../helpers/events.js';
import { serviceAvailable } from '../helpers/services.js';
import { natsStores } from './nats-fixture.js';
import { makeExecutionRecord, makeInstanceInfo, makeJobRecord } from './records.js';

const available = await serviceAvailable('nats');

/** Blocks this thread (timers, sockets, everything) for `ms`. */
function block(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe.skipIf(!available)('nats store: signs of life from a thread of their own', () => {
  const { makeStore, bucket, cleanup } = natsStores();
  afterEach(cleanup);

  /** Store A with instance 'a' showing life four times, store B on the same prefix with 'b': dead after `deadAfterMs`. */
  async function twoInstances(deadAfterMs: number) {
    const a = makeStore();
    await a.open();
    const b = makeStore({ prefix: a.prefix });
    await b.open();
    const now = Date.now();
    const deadBefore = now - deadAfterMs;
    await a.instanceRegister({ instance: makeInstanceInfo({ id: 'a' }), now, deadBefore });
    await b.instanceRegister({ instance: makeInstanceInfo({ id: 'b' }), now, deadBefore });
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await beat(a, 'a', deadAfterMs);
    }
    return { a, b, lastBeat: Date.now() };
  }

  function beat(store: NatsStore, id: string, deadAfterMs: number) {
    const now = Date.now();
    return store.instanceBeat({ id, now, held: 0, running: 0, deadBefore: now - deadAfterMs });
  }

  /** An instance ('a') as its key holds it now. */
  async function stored(store: NatsStore, id = 'a') {
    const entry = await (await bucket(store, 'instances')).get(keyOf(id));
    return entry?.json<{ lastSeenAt: number }>();
  }

  test('a main thread blocked for 3 s, over a second of dead time, keeps its instance alive', async () => {
    const { a, b } = await twoInstances(1_000);
    block(3_000);
    const unblocked = Date.now();
    // Its key was written during the block, every third of the dead time.
    expect((await stored(a))?.lastSeenAt).toBeGreaterThan(unblocked - 700);
    await until(
      async () =>
        (await b.instancesList()).some((i) => i.id === 'a' && i.lastSeenAt > unblocked - 700),
      5_000,
      'b sees a’s signs of life',
    );
    const seen = await beat(b, 'b', 1_000);
    expect(seen.declaredDead).toEqual([]);
    expect(seen.live.map((i) => i.id)).toEqual(['a', 'b']);
    expect((await beat(a, 'a', 1_000)).registered).toBe(true);
  }, 20_000);

  test('after a long pause of the main thread, the keeper still writes within a third of the dead time (it does not learn the pause)', async () => {
    const { a } = await twoInstances(1_000);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // silent, kept alive meanwhile
    await beat(a, 'a', 1_000);
    block(2_000);
    const unblocked = Date.now();
    expect((await stored(a))?.lastSeenAt).toBeGreaterThan(unblocked - 700);
  }, 20_000);

  test('signs of life whose dead time the engine stretched by its own silence do not stretch the keeper’s pauses', async () => {
    const { a } = await twoInstances(1_000);
    // As the engine names it for a while after an outage of its own: 8 s more.
    for (let i = 0; i < 5; i++) await beat(a, 'a', 9_000);
    block(2_000);
    const unblocked = Date.now();
    expect((await stored(a))?.lastSeenAt).toBeGreaterThan(unblocked - 700);
  }, 20_000);

  test('a dead instance may have run only what was due before its engine’s own last sign of life and the dead time, not its keeper’s', async () => {
    const { a, b } = await twoInstances(500);
    const lastBeat = Date.now();
    await beat(a, 'a', 500);
    const job = makeJobRecord({ id: 'j' });
    await b.jobsWrite({ writes: [{ job, expectedVersion: null, dropPlanned: false }] });
    // Due after the engine's last sign of life and its dead time, before the keeper's.
    const fireAt = lastBeat + 2_000;
    const leased = makeExecutionRecord({
      jobId: job.id,
      fireAt,
      runAt: fireAt,
      leaseOwner: 'a',
      leaseUntil: fireAt + 60_000,
      leaseToken: 1,
    });
    await (await bucket(b, 'jobs')).put(workKey(leased), encode({ ...leased, plan: '0:0' }));
    await until(async () => (await b.executionGet({ id: leased.id })) !== null, 5_000, 'b sees it');
    block(4_000); // the keeper shows life for six dead times (3 s), then takes the thread for hung
    await until(
      async () => (await b.instancesList()).some((i) => i.id === 'a' && i.lastSeenAt > fireAt),
      5_000,
      'b sees the keeper’s signs of life past the fire',
    );
    expect((await beat(b, 'b', 500)).live.map((i) => i.id)).toEqual(['b']);
    await until(
      async () => (await b.executionGet({ id: leased.id }))?.leaseToken === 2,
      5_000,
      'the void',
    );
    expect(await b.executionGet({ id: leased.id })).toMatchObject({
      status: 'scheduled',
      leaseOwner: null,
      attempt: 0,
    });
  }, 30_000);

  test('a main thread silent for six dead times is taken for hung, and its instance declared dead', async () => {
    const { a, b, lastBeat } = await twoInstances(200);
    block(3_000);
    // Kept alive for six dead times of 200 ms, not for the whole block.
    const lastSeenAt = (await stored(a))?.lastSeenAt ?? 0;
    expect(lastSeenAt).toBeGreaterThan(lastBeat + 800);
    expect(lastSeenAt).toBeLessThan(lastBeat + 2_000);
    await until(
      async () =>
        (await b.instancesList()).some((i) => i.id === 'a' && i.lastSeenAt === lastSeenAt),
      5_000,
      'b sees a’s last sign of life',
    );
    const seen = await beat(b, 'b', 1_000);
    expect(seen.live.map((i) => i.id)).toEqual(['b']);
    expect((await beat(a, 'a', 1_000)).registered).toBe(false);
  }, 20_000);

  test('its messages count in the store’s usage', async () => {
    const { a } = await twoInstances(60_000);
    const before = a.usage().statements;
    await beat(a, 'a', 60_000);
    expect(a.usage().statements).toBeGreaterThan(before);
  });

  test('a thread that ended under an open store (a crash) is replaced, and keeps its instance registered on the revision the first one left', async () => {
    const { a } = await twoInstances(1_000);
    block(700); // the first thread writes a sign of life of its own
    await endLifeThread();
    expect((await beat(a, 'a', 1_000)).registered).toBe(true);
    const before = (await stored(a))?.lastSeenAt ?? 0;
    block(1_000);
    // The new thread keeps it alive as the first did.
    expect((await stored(a))?.lastSeenAt).toBeGreaterThan(before + 500);
  });

  test('two stores share the thread: one closing leaves the other’s instance kept alive; closed and opened again, it keeps its own again', async () => {
    const { a, b } = await twoInstances(1_000);
    await beat(b, 'b', 1_000);
    await b.close();
    block(1_000);
    const unblocked = Date.now();
    expect((await stored(a))?.lastSeenAt).toBeGreaterThan(unblocked - 700);
    await b.open();
    const now = Date.now();
    const instance = makeInstanceInfo({ id: 'b2' });
    await b.instanceRegister({ instance, now, deadBefore: now - 1_000 });
    await beat(b, 'b2', 1_000);
    block(1_000);
    expect((await stored(b, 'b2'))?.lastSeenAt).toBeGreaterThan(Date.now() - 700);
  }, 20_000);
});
