/**
 * A sign of life on NATS whose send is lost with its connection (its server
 * killed mid-write, as in the cluster test where a live instance was then
 * declared dead): it is sent again through the connection the client makes
 * next, and gets through within seconds — not after `timeoutMs`, when the
 * others may already have declared its instance dead. And one whose key an
 * earlier sign of life of its own moved unknown to it (its answer lost) is
 * not taken for a death. The faults are real: a TCP proxy in front of the
 * machine's NATS server cuts or holds the store's connection. And a death
 * whose declarer was lost after marking it is finished by the next sign of
 * life of any instance.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { encode, keyOf, workKey } from '../../src/stores/nats/documents.js';
import { until } from '../helpers/events.js';
import { serviceAvailable, SERVICES } from '../helpers/services.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { NATS_URL, natsStores } from './nats-fixture.js';
import { T0, makeExecutionRecord, makeInstanceInfo, makeJobRecord } from './records.js';

const available = await serviceAvailable('nats');
/** Requests wait this long for an answer: longer than the sign of life may take. */
const TIMEOUT_MS = 10_000;
const instance = makeInstanceInfo();

describe.skipIf(!available)('nats store: a sign of life lost with its connection', () => {
  const { makeStore, cleanup } = natsStores();
  const proxies: TcpProxy[] = [];
  afterEach(async () => {
    for (const p of proxies.splice(0)) await p.stop();
    await cleanup();
  });

  /** A store connected through a proxy, instance 'a' registered at T0. */
  async function registeredThroughProxy() {
    const { host, port } = SERVICES.nats;
    const proxy = await new TcpProxy(host, port).start();
    proxies.push(proxy);
    const store = makeStore({ servers: `nats://127.0.0.1:${proxy.port}`, timeoutMs: TIMEOUT_MS });
    await store.open();
    await store.instanceRegister({ instance, now: T0, deadBefore: T0 - 10_000 });
    return { proxy, store };
  }

  test('is sent again on the next connection and gets through within 5 s (timeoutMs 10 s)', async () => {
    const { proxy, store } = await registeredThroughProxy();

    proxy.blackHole(); // the beat's send goes nowhere …
    const from = Date.now();
    const beat = store.instanceBeat({
      id: 'a',
      now: T0 + 1_000,
      held: 0,
      running: 0,
      deadBefore: T0 - 9_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    proxy.cut(); // … and its connection is lost with it; the client connects again
    proxy.restore();
    const result = await beat;
    expect(result.registered).toBe(true);
    expect(Date.now() - from).toBeLessThan(5_000);
    const [listed] = await store.instancesList();
    expect(listed).toMatchObject({ id: 'a', lastSeenAt: T0 + 1_000 });
  }, 20_000);

  test('whose key an earlier sign of life of its own moved, unknown to it, still registers it', async () => {
    const { proxy, store } = await registeredThroughProxy();
    proxy.blackHole(); // the store's watch does not see the write below
    const nc = await connect({ servers: NATS_URL });
    try {
      const kv = await new Kvm(nc).open(`${store.prefix}_instances`);
      const earlier = { ...instance, lastSeenAt: T0 + 500, held: 0, running: 0 };
      await kv.put(keyOf('a'), encode(earlier));
    } finally {
      await nc.close();
    }
    const beat = store.instanceBeat({
      id: 'a',
      now: T0 + 1_000,
      held: 0,
      running: 0,
      deadBefore: T0 - 9_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    proxy.restore();
    expect((await beat).registered).toBe(true);
  }, 20_000);
});

describe.skipIf(!available)('nats store: a death left unfinished', () => {
  const { makeStore, bucket, cleanup } = natsStores();
  afterEach(cleanup);

  test('(its declarer lost after marking it) is finished by the next sign of life: its leases voided by the death rule it recorded, its key deleted', async () => {
    const store = makeStore();
    await store.open();
    const job = makeJobRecord({ id: 'j' });
    await store.jobsWrite({ writes: [{ job, expectedVersion: null, dropPlanned: false }] });
    const held = (fireAt: number) =>
      makeExecutionRecord({
        jobId: job.id,
        fireAt,
        runAt: fireAt,
        leaseOwner: 'ghost',
        leaseUntil: T0 + 60_000,
        leaseToken: 1,
      });
    // Due before the death rule's bound (it may have run) and after it (it cannot have).
    const [ran, unrun] = [held(T0 - 15_000), held(T0 + 5_000)];
    const jobs = await bucket(store, 'jobs');
    for (const e of [ran, unrun]) await jobs.put(workKey(e), encode({ ...e, plan: '0:0' }));
    const instances = await bucket(store, 'instances');
    const ghost = { ...instance, id: 'ghost', lastSeenAt: T0 - 20_000, held: 2, running: 0 };
    const dying = { at: T0, ranBefore: T0 - 10_000 + 1, writeId: 'w' };
    await instances.put(keyOf('ghost'), encode({ ...ghost, dying }));
    await store.executionGet({ id: unrun.id }); // the mirror has caught up
    await store.instanceRegister({ instance, now: T0 + 1_000, deadBefore: T0 - 9_000 });
    expect((await store.instancesList()).map((i) => i.id)).toEqual(['a']);
    const beat = await store.instanceBeat({
      id: 'a',
      now: T0 + 2_000,
      held: 0,
      running: 0,
      deadBefore: T0 - 8_000,
    });
    expect(beat.live.map((i) => i.id)).toEqual(['a']);
    // Finished in the background: the sign of life does not wait for job writes.
    await until(
      async () => (await store.executionGet({ id: unrun.id }))?.leaseToken === 2,
      5_000,
      'the voids',
    );
    expect(await store.executionGet({ id: unrun.id })).toMatchObject({
      leaseOwner: null,
      status: 'scheduled',
      leaseToken: 2,
    });
    expect(await store.executionGet({ id: ran.id })).toMatchObject({
      leaseOwner: 'ghost',
      leaseUntil: T0 - 1,
      leaseToken: 2,
      status: 'running',
      attempt: 1,
    });
    const gone = async () => (await instances.get(keyOf('ghost')))?.operation !== 'PUT';
    await until(gone, 5_000, 'the dead instance’s key deleted');
  });

  test('met by its own id registering again (a restart) is finished first, then the registration is written — even when its last sign of life is recent by this clock', async () => {
    const store = makeStore();
    await store.open();
    const instances = await bucket(store, 'instances');
    const earlier = { ...instance, pid: 2, lastSeenAt: T0 + 500, held: 0, running: 0 };
    const dying = { at: T0, ranBefore: T0 - 10_000 + 1, writeId: 'w' };
    await instances.put(keyOf('a'), encode({ ...earlier, dying }));
    await store.instanceRegister({ instance, now: T0 + 1_000, deadBefore: T0 - 9_000 });
    expect(await store.instancesList()).toEqual([
      expect.objectContaining({ id: 'a', pid: 1, lastSeenAt: T0 + 1_000 }),
    ]);
    const stored = JSON.parse((await instances.get(keyOf('a')))?.string() ?? 'null') as object;
    expect(stored).toMatchObject({ pid: 1 });
    expect(stored).not.toHaveProperty('dying');
  });
});
