/**
 * The NATS store's signs of life come from a thread of their own: a process
 * whose main thread is held up (here: blocked outright, as a catch-up's CPU
 * starves it) keeps its instance registered, and is not declared dead by the
 * others; one whose main thread is silent for six dead times is taken for
 * hung and is. Engine time is the wall clock here, as in production.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { NatsStore } from '../../src/stores/nats/index.js';
import { keyOf } from '../../src/stores/nats/documents.js';
import { endLifeThread } from '../../src/stores/nats/life-thread.js';
import { until } from '../helpers/events.js';
import { serviceAvailable } from '../helpers/services.js';
import { natsStores } from './nats-fixture.js';
import { makeInstanceInfo } from './records.js';

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

  /** Instance 'a' as its key holds it now. */
  async function stored(store: NatsStore) {
    const entry = await (await bucket(store, 'instances')).get(keyOf('a'));
    return entry?.json<{ lastSeenAt: number }>();
  }

  test('a main thread blocked for 3 s, over a second of dead time, keeps its instance alive', async () => {
    const { a, b } = await twoInstances(1_000);
    const revision = (await (await bucket(a, 'instances')).get(keyOf('a')))?.revision ?? 0;
    block(3_000);
    const unblocked = Date.now();
    // Its key was written during the block, every third of the dead time (and a tick of 200 ms).
    const entry = await (await bucket(a, 'instances')).get(keyOf('a'));
    expect(entry?.revision).toBeGreaterThan(revision + 3);
    expect(entry?.json<{ lastSeenAt: number }>().lastSeenAt).toBeGreaterThan(unblocked - 700);
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

  test('a thread that ended under an open store (a crash) is replaced at the next sign of life, which keeps its instance registered', async () => {
    const { a } = await twoInstances(1_000);
    await endLifeThread();
    expect((await beat(a, 'a', 1_000)).registered).toBe(true);
    const before = (await stored(a))?.lastSeenAt ?? 0;
    block(1_000);
    // The new thread keeps it alive as the first did.
    expect((await stored(a))?.lastSeenAt).toBeGreaterThan(before + 500);
  });
});
