/**
 * A sign of life on NATS whose send is lost with its connection (its server
 * killed mid-write, as in the cluster test where a live instance was then
 * declared dead): it is sent again through the connection the client makes
 * next, and gets through within seconds — not after `timeoutMs`, when the
 * others may already have declared its instance dead. And one whose key an
 * earlier sign of life of its own moved unknown to it (its answer lost) is
 * not taken for a death. The faults are real: a TCP proxy in front of the
 * machine's NATS server cuts or holds the store's connection.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import type { InstanceInfo } from '../../src/stores/instances.js';
import { encode, keyOf } from '../../src/stores/nats/documents.js';
import { serviceAvailable, SERVICES } from '../helpers/services.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { NATS_URL, natsStores } from './nats-fixture.js';
import { T0 } from './records.js';

const available = await serviceAvailable('nats');
/** Requests wait this long for an answer: longer than the sign of life may take. */
const TIMEOUT_MS = 10_000;

describe.skipIf(!available)('nats store: a sign of life lost with its connection', () => {
  const { makeStore, cleanup } = natsStores();
  const proxies: TcpProxy[] = [];
  afterEach(async () => {
    for (const p of proxies.splice(0)) await p.stop();
    await cleanup();
  });

  const instance: InstanceInfo = {
    id: 'a',
    host: 'h',
    pid: 1,
    version: '0',
    startedAt: T0,
    capacity: 1,
  };

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
