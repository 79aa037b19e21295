/**
 * The NATS store: the conformance suite against the machine's NATS server,
 * each test on a bucket prefix of its own (its buckets deleted after), then
 * what only NATS has — provisioning by ten instances at once on an empty
 * server, a server without JetStream, the schema guards, and the KV watch
 * that wakes another instance at a fire's instant.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { createScheduler, type Scheduler } from '../../src/index.js';
import { isChimeError } from '../../src/errors.js';
import { keyOf } from '../../src/stores/nats/documents.js';
import { natsStore } from '../../src/stores/nats/index.js';
import { freePort } from '../helpers/nats-cluster.js';
import { silent } from '../helpers/scheduler.js';
import { serviceAvailable } from '../helpers/services.js';
import { expectWokenAcross } from '../helpers/wake-across.js';
import { describeStoreConformance } from './conformance.js';
import { makeExecutionRecord, makeJobRecord } from './records.js';
import { NATS_URL, dropPrefix, freshPrefix, natsStores, streamsOf } from './nats-fixture.js';

const available = await serviceAvailable('nats');

describe.skipIf(!available)('nats', () => {
  describeStoreConformance('nats', async () => {
    const prefix = freshPrefix();
    return {
      store: natsStore({ servers: NATS_URL, prefix }),
      cleanup: () => dropPrefix(prefix),
      durable: true,
      reopen: async () => natsStore({ servers: NATS_URL, prefix }),
    };
  });

  describe('nats store', () => {
    const { makeStore, cleanup } = natsStores();
    const schedulers: Scheduler[] = [];
    const cleanups: (() => void)[] = [];
    afterEach(async () => {
      for (const release of cleanups.splice(0)) release();
      await Promise.all(schedulers.splice(0).map((s) => s.stop({ timeoutMs: 1_000 })));
      await cleanup();
    });

    // Ten rounds: a store whose schema read waited on a stream created a moment ago failed
    // after timeoutMs in about one round of twenty-five (the KV client's direct get).
    test('ten stores opening one empty prefix at once make one of each bucket, and all open at once', async () => {
      for (let round = 0; round < 10; round++) {
        const prefix = freshPrefix();
        const stores = Array.from({ length: 10 }, () => makeStore({ prefix }));
        const started = Date.now();
        const results = await Promise.allSettled(stores.map((store) => store.open()));
        expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(await streamsOf(prefix)).toEqual(
          ['instances', 'jobs', 'meta'].map((part) => `KV_${prefix}_${part}`),
        );
        const migrated = await Promise.all(stores.map((store) => store.migrate()));
        expect(migrated.flat()).toEqual([]);
        for (const store of stores) expect(await store.jobGet({ id: 'x' })).toBeNull();
      }
    }, 60_000);

    test('migrate: false on an empty prefix fails clearly and creates nothing; migrate() then applies the schema', async () => {
      const store = makeStore({ migrate: false });
      await expect(store.open()).rejects.toMatchObject({ code: 'CHIME_ERR_STORE_SCHEMA_OUTDATED' });
      expect(await streamsOf(store.prefix)).toEqual([]);
      await expect(store.jobGet({ id: 'x' })).rejects.toMatchObject({
        code: 'CHIME_ERR_STORE_UNAVAILABLE',
      });
      expect(await store.migrate()).toEqual([3]);
      await store.open();
      expect(await store.jobGet({ id: 'x' })).toBeNull();
    });

    test('a store holding a newer schema is refused with CHIME_ERR_STORE_SCHEMA_TOO_NEW', async () => {
      const store = makeStore();
      await store.open();
      const nc = await connect({ servers: NATS_URL });
      try {
        const meta = await new Kvm(nc).open(`${store.prefix}_meta`);
        await meta.put('schema', '999');
      } finally {
        await nc.close();
      }
      const newer = makeStore({ prefix: store.prefix });
      await expect(newer.open()).rejects.toMatchObject({ code: 'CHIME_ERR_STORE_SCHEMA_TOO_NEW' });
      await expect(newer.migrate()).rejects.toMatchObject({
        code: 'CHIME_ERR_STORE_SCHEMA_TOO_NEW',
      });
    });

    test('an idle scheduler over 2,000 far-future jobs sends about one message a second to NATS', async () => {
      const store = makeStore();
      await store.open();
      const far = Date.now() + 86_400_000;
      const writes = Array.from({ length: 2_000 }, (_, i) => ({
        job: makeJobRecord({ id: `far-${i}`, nextFireAt: far }),
        expectedVersion: null,
        dropPlanned: false,
      }));
      for (let i = 0; i < writes.length; i += 200)
        expect(await store.jobsWrite({ writes: writes.slice(i, i + 200) })).toEqual([]);
      const scheduler = createScheduler({ store, instanceId: 'idle', logger: silent });
      schedulers.push(scheduler);
      await scheduler.start();
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // its start-up is over
      const before = store.usage().statements;
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      const perSecond = (store.usage().statements - before) / 6;
      console.info(
        `nats: an idle scheduler over 2,000 jobs sent ${perSecond.toFixed(2)} messages/s`,
      );
      expect(perSecond).toBeLessThanOrEqual(1.5);
    }, 30_000);

    test.each([
      [{ servers: [] }, '/servers'],
      [{ servers: 'not a url' }, '/servers'],
      [{ servers: NATS_URL, prefix: 'a.b' }, '/prefix'],
      [{ servers: NATS_URL, replicas: 0 }, '/replicas'],
      [{ servers: NATS_URL, timeoutMs: 5 }, '/timeoutMs'],
    ])('the options %j are refused with CHIME_ERR_OPTION_INVALID at %s', (options, path) => {
      expect(() => natsStore(options as never)).toThrow(
        expect.objectContaining({ code: 'CHIME_ERR_OPTION_INVALID', path }),
      );
    });

    test('a job ensured on instance A with a fire 300 ms ahead runs on B at its instant, though B polls every 30 s', async () => {
      const prefix = freshPrefix();
      const sleeps = () => new Promise<void>((resolve) => setTimeout(resolve, 500)); // B's start-up cycles are over
      await expectWokenAcross(() => makeStore({ prefix }), sleeps, schedulers, cleanups);
    }, 30_000);

    test('an execution written by instance A a moment ago is read on B by its id (B waits for its watch to catch up)', async () => {
      const prefix = freshPrefix();
      const [a, b] = [makeStore({ prefix }), makeStore({ prefix })];
      await Promise.all([a.open(), b.open()]);
      const job = makeJobRecord();
      await a.jobsWrite({ writes: [{ job, expectedVersion: null, dropPlanned: false }] });
      for (let i = 0; i < 20; i++) {
        const execution = makeExecutionRecord({ jobId: job.id, trigger: 'manual' });
        await a.executionInsert({ execution });
        expect((await b.executionGet({ id: execution.id }))?.id).toBe(execution.id);
      }
      expect(await b.executionGet({ id: 'never-written' })).toBeNull();
    });

    test('a store opens on a bucket whose last message was a delete marker purged since (its watch never brings that revision)', async () => {
      const prefix = freshPrefix();
      const a = makeStore({ prefix });
      await a.open();
      const [kept, job] = [makeJobRecord({ id: 'kept' }), makeJobRecord({ id: 'deleted' })];
      for (const written of [kept, job])
        await a.jobsWrite({
          writes: [{ job: written, expectedVersion: null, dropPlanned: false }],
        });
      await a.jobDelete({ id: job.id });
      // What the store's sweep of delete markers does minutes later.
      const nc = await connect({ servers: NATS_URL });
      try {
        const jsm = await jetstreamManager(nc);
        const stream = `KV_${prefix}_jobs`;
        await jsm.streams.purge(stream, { filter: `$KV.${prefix}_jobs.${keyOf(job.id)}`, keep: 0 });
        const { state } = await jsm.streams.info(stream);
        expect(state.messages).toBe(1); // the kept job; the stream's last sequence names the purged marker
        expect(state.last_seq).toBeGreaterThan(2);
      } finally {
        await nc.close();
      }
      const b = makeStore({ prefix });
      const opened = await Promise.race([
        b.open().then(() => 'open'),
        new Promise((resolve) => setTimeout(() => resolve('still opening after 5 s'), 5_000)),
      ]);
      expect(opened).toBe('open');
      expect(await b.jobGet({ id: job.id })).toBeNull();
      expect((await b.jobsList({ limit: 10 })).map((j) => j.id)).toEqual(['kept']);
    });
  });

  describe('a server without JetStream', () => {
    let server: ChildProcess | undefined;
    afterAll(() => void server?.kill('SIGKILL'));

    test('fails open() at once with CHIME_ERR_STORE_JETSTREAM_UNAVAILABLE', async () => {
      const port = await freePort();
      server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
      const store = natsStore({ servers: `nats://127.0.0.1:${port}`, prefix: freshPrefix() });
      let error: unknown;
      const started = Date.now();
      for (
        let tries = 0;
        tries < 50 && !isChimeError(error, 'CHIME_ERR_STORE_JETSTREAM_UNAVAILABLE');
        tries++
      ) {
        error = await store.open().then(
          () => null,
          (err: unknown) => err,
        );
        if (isChimeError(error, 'CHIME_ERR_STORE_UNAVAILABLE'))
          await new Promise((r) => setTimeout(r, 100));
      }
      expect(error).toMatchObject({ code: 'CHIME_ERR_STORE_JETSTREAM_UNAVAILABLE' });
      expect(String(error)).toMatch(/JetStream disabled.*nats-server 2\.9 or later/);
      expect(Date.now() - started).toBeLessThan(6_000);
      await store.close();
    });
  });
});
