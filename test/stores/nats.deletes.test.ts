/**
 * The NATS store's deletes: a key this instance deleted and another wrote
 * again shows in this instance's mirror (its tombstone is at the delete
 * marker's revision, not above every revision), and the purge of a delete
 * marker minutes later removes the key's messages up to the marker only —
 * not a write of the key made since.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { purgeOf } from '../../src/stores/nats/connection.js';
import { writeKey } from '../../src/stores/nats/key-write.js';
import { Markers } from '../../src/stores/nats/markers.js';
import { until } from '../helpers/events.js';
import { serviceAvailable } from '../helpers/services.js';
import { NATS_URL, freshPrefix, natsStores } from './nats-fixture.js';
import { makeJobRecord } from './records.js';

const available = await serviceAvailable('nats');

describe.skipIf(!available)('nats store: deletes', () => {
  const { makeStore, cleanup } = natsStores();
  const connections: NatsConnection[] = [];
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((nc) => nc.close()));
    await cleanup();
  });

  test('jobs deleted on A one by one and created again on B all show on A', async () => {
    const prefix = freshPrefix();
    const [a, b] = [makeStore({ prefix }), makeStore({ prefix })];
    await Promise.all([a.open(), b.open()]);
    const jobs = Array.from({ length: 100 }, (_, i) => makeJobRecord({ id: `j${i}` }));
    const writes = jobs.map((job) => ({ job, expectedVersion: null, dropPlanned: false }));
    await a.jobsWrite({ writes });
    for (const job of jobs) await a.jobDelete({ id: job.id });
    await b.jobsWrite({ writes });
    const listed = async () => (await a.jobsList({ limit: 1_000 })).length;
    await until(async () => (await listed()) === jobs.length, 10_000, 'A to list them all');
  });

  test('a delete marker purged later takes the key’s messages up to it, not a later write', async () => {
    const nc = await connect({ servers: NATS_URL });
    connections.push(nc);
    const bucket = `${freshPrefix()}_markers`;
    const kv = await new Kvm(nc).create(bucket, { history: 1 });
    const remove = (key: string) =>
      writeKey(jetstream(nc), { bucket, key, bytes: null, revision: null, doing: 'a test' });
    const markers = new Markers(purgeOf(nc, bucket), 3_600_000);
    try {
      await kv.put('again', 'first');
      const again = await remove('again');
      await kv.put('again', 'second');
      await kv.put('gone', 'only');
      const gone = await remove('gone');
      expect(again).not.toBeNull();
      expect(gone).not.toBeNull();
      markers.deleted([
        { key: 'again', revision: again ?? 0 },
        { key: 'gone', revision: gone ?? 0 },
      ]);
      await markers.sweep(); // the markers of the period before the last: none yet
      await markers.sweep();
      expect((await kv.get('again'))?.string()).toBe('second');
      const jsm = await jetstreamManager(nc);
      const { state } = await jsm.streams.info(`KV_${bucket}`, { subjects_filter: '>' });
      expect(Object.keys(state.subjects ?? {})).toEqual([`$KV.${bucket}.again`]);
    } finally {
      markers.stop();
      await kv.destroy();
    }
  });
});
