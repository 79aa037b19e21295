/**
 * A death declared on a NATS cluster while the jobs stream elects a leader
 * (its server killed): the dead instance's key is marked dying at once (the
 * instances stream has its leader), but voiding its leases is job writes,
 * which wait 4–9 s for the election. The sign of life that declared it must
 * not wait that long — its own instance's silence would grow toward its death
 * — so it waits a moment, the voids go on in the background, and a later
 * sign of life reports the death once its leases are void.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { natsStore, type NatsStore } from '../../src/stores/nats/index.js';
import { encode, keyOf, workKey } from '../../src/stores/nats/documents.js';
import { until } from '../helpers/events.js';
import { startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';
import { freshPrefix } from './nats-fixture.js';
import { T0, makeExecutionRecord, makeInstanceInfo, makeJobRecord } from './records.js';

const hasServer = spawnSync('nats-server', ['--version']).status === 0;
if (!hasServer) console.warn('SKIPPED: no nats-server binary on the PATH');
const instance = makeInstanceInfo();

describe.skipIf(!hasServer)(
  'nats store on a three-node cluster: a death declared in an election',
  () => {
    let cluster: NatsCluster;
    const stores: NatsStore[] = [];
    beforeAll(async () => {
      cluster = await startNatsCluster(3);
    }, 60_000);
    afterAll(async () => {
      await Promise.all(stores.map((store) => store.close()));
      await cluster?.stop();
    });

    /** Moves a stream's leader off `node` (a leader steps down to another of its peers). */
    async function leadElsewhere(stream: string, node: string): Promise<void> {
      if ((await cluster.leaderOf(stream)) !== node) return;
      const nc = await connect({ servers: cluster.servers });
      try {
        await nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, '', { timeout: 5_000 });
      } finally {
        await nc.close();
      }
      await until(
        async () => ![node, ''].includes(await cluster.leaderOf(stream)),
        15_000,
        'a new leader',
      );
    }

    test('does not hold the sign of life: it returns at once, and a later one reports the death once the leases are void', async () => {
      const prefix = freshPrefix();
      const admin = natsStore({ servers: cluster.servers, prefix, replicas: 3 });
      stores.push(admin);
      await admin.open();
      // A job with a fire leased to 'ghost', whose last sign of life is long past.
      const job = makeJobRecord({ id: 'j' });
      await admin.jobsWrite({ writes: [{ job, expectedVersion: null, dropPlanned: false }] });
      const fire = makeExecutionRecord({
        jobId: job.id,
        fireAt: T0 + 5_000,
        runAt: T0 + 5_000,
        leaseOwner: 'ghost',
        leaseUntil: T0 + 60_000,
        leaseToken: 1,
      });
      const nc = await connect({ servers: cluster.servers });
      const kvm = new Kvm(nc);
      await (await kvm.open(`${prefix}_jobs`)).put(workKey(fire), encode({ ...fire, plan: '0:0' }));
      const ghost = { ...instance, id: 'ghost', lastSeenAt: T0 - 20_000, held: 1, running: 0 };
      await (await kvm.open(`${prefix}_instances`)).put(keyOf('ghost'), encode(ghost));
      await nc.close();

      // The jobs stream's leader is the server to lose; the instances stream is led elsewhere,
      // and the declaring store is connected only to the other servers.
      const lost = await cluster.leaderOf(`KV_${prefix}_jobs`);
      await leadElsewhere(`KV_${prefix}_instances`, lost);
      const index = cluster.names.indexOf(lost);
      const servers = cluster.servers.filter((_, i) => i !== index);
      const store = natsStore({ servers, prefix, replicas: 3 });
      stores.push(store);
      await store.open();
      await store.instanceRegister({ instance, now: T0, deadBefore: T0 - 10_000 });
      await store.executionGet({ id: fire.id }); // its mirror has the lease
      await cluster.kill(lost);

      const beat = (now: number) =>
        store.instanceBeat({ id: 'a', now, held: 0, running: 0, deadBefore: now - 10_000 });
      const sent = Date.now();
      const first = await beat(T0 + 1_000);
      const tookMs = Date.now() - sent;
      expect(tookMs).toBeLessThan(3_000);
      expect(first.registered).toBe(true);
      expect(first.live.map((i) => i.id)).toEqual(['a']);

      let reported: string[] = first.declaredDead;
      for (let now = T0 + 2_000; reported.length === 0; now += 1_000) {
        expect(now - T0).toBeLessThan(40_000);
        await new Promise((resolve) => setTimeout(resolve, 500));
        reported = (await beat(now)).declaredDead;
      }
      expect(reported).toEqual(['ghost']);
      expect(await store.executionGet({ id: fire.id })).toMatchObject({
        leaseOwner: null,
        leaseToken: 2,
        status: 'scheduled',
      });
      console.info(
        `nats cluster: the declaring sign of life took ${tookMs} ms during the election`,
      );
    }, 90_000);
  },
);
