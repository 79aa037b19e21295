/**
 * The NATS store's writes of one call failing one by one: a batch of plans
 * (`jobsAdvance`) in which the server refuses one plan's job write — here,
 * the job's document over the size limit set on the real jobs stream —
 * applies the others and returns their claims; the refused plan's fires are
 * deleted, and the job is planned again once its write can be made. A claim
 * of many executions, one of whose leases is refused, returns the others.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsStore } from '../../src/stores/nats/index.js';
import type { JobPlan, JobRecord } from '../../src/stores/store.js';
import { serviceAvailable } from '../helpers/services.js';
import { NATS_URL, natsStores, planAtT0 } from './nats-fixture.js';
import { makeExecutionRecord, makeJobRecord, T0 } from './records.js';

const available = await serviceAvailable('nats');
/** Largest message the jobs stream takes in the test: a plain job's document and fires fit. */
const MAX_MSG_SIZE = 4_096;

describe.skipIf(!available)('nats store: a write that fails among others of one call', () => {
  const { makeStore, cleanup } = natsStores();
  afterEach(cleanup);

  /** Sets the largest message of the store's jobs (or another) bucket's stream (-1: none). */
  async function limitMessages(store: NatsStore, size: number, bucket = 'jobs'): Promise<void> {
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      const stream = `KV_${store.prefix}_${bucket}`;
      const { config } = await jsm.streams.info(stream);
      await jsm.streams.update(stream, { ...config, max_msg_size: size });
    } finally {
      await nc.close();
    }
  }

  /** The plan of the job's fire at T0, leased to 'planner'. */
  function planOf(job: JobRecord): JobPlan {
    const fire = makeExecutionRecord({
      jobId: job.id,
      fireAt: T0,
      leaseOwner: 'planner',
      leaseUntil: T0 + 30_000,
      leaseToken: 1,
    });
    return planAtT0(job, fire);
  }

  test('a plan whose job write the server refuses fails alone: the others apply and their fires are claimed; its fires are deleted and it applies later', async () => {
    const store = makeStore();
    await store.open();
    const plain = makeJobRecord({ nextFireAt: T0 });
    const large = makeJobRecord({ nextFireAt: T0 });
    // Its document over the limit set below: every write of it is refused.
    large.definition.metadata = { padding: 'x'.repeat(2 * MAX_MSG_SIZE) };
    await store.jobsWrite({
      writes: [plain, large].map((job) => ({ job, expectedVersion: null, dropPlanned: false })),
    });
    await limitMessages(store, MAX_MSG_SIZE);

    const { claims, applied } = await store.jobsAdvance({
      plans: [planOf(plain), planOf(large)],
    });
    expect(applied).toEqual([plain.id]);
    expect(claims.map((c) => c.execution)).toEqual([
      expect.objectContaining({ jobId: plain.id, fireAt: T0, leaseOwner: 'planner' }),
    ]);
    expect(await store.executionsList({ jobId: large.id, limit: 10 })).toEqual([]);
    expect(await store.jobGet({ id: large.id })).toMatchObject({ nextFireAt: T0, fireCount: 0 });

    await limitMessages(store, -1);
    const again = await store.jobsAdvance({ plans: [planOf(large)] });
    expect(again.applied).toEqual([large.id]);
    expect(again.claims).toHaveLength(1);
  });

  test('a call whose every plan fails fails', async () => {
    const store = makeStore();
    await store.open();
    const large = makeJobRecord({ nextFireAt: T0 });
    large.definition.metadata = { padding: 'x'.repeat(2 * MAX_MSG_SIZE) };
    await store.jobsWrite({ writes: [{ job: large, expectedVersion: null, dropPlanned: false }] });
    await limitMessages(store, MAX_MSG_SIZE);
    await expect(store.jobsAdvance({ plans: [planOf(large)] })).rejects.toMatchObject({
      code: 'CHIME_ERR_STORE_UNAVAILABLE',
    });
  });

  test('a claim whose lease write the server refuses for one execution returns the others', async () => {
    const store = makeStore();
    await store.open();
    const job = makeJobRecord({ nextFireAt: null });
    await store.jobsWrite({ writes: [{ job, expectedVersion: null, dropPlanned: false }] });
    const manual = (payload: unknown) =>
      makeExecutionRecord({ jobId: job.id, fireAt: T0, runAt: T0, trigger: 'manual', payload });
    const plain = manual(null);
    const large = manual('x'.repeat(2 * MAX_MSG_SIZE));
    await store.executionsInsert({ executions: [plain, large] });
    await limitMessages(store, MAX_MSG_SIZE);

    const claims = await store.executionsClaim({
      owner: 'claimer',
      now: T0,
      until: T0 + 2_000,
      leaseMs: 30_000,
      limit: 10,
    });
    expect(claims.map((c) => c.execution.id)).toEqual([plain.id]);
  });
});
