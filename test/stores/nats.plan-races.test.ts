/**
 * The NATS store's plans racing each other: a plan finds fires at its keys
 * that other planners of the job created (their plans failed, crashed or are
 * still writing), as those planners or claimers left them (written here
 * directly in the store's own format). A fire no one else runs is the
 * applying plan's; one that a claim leased since is left to its holder. A
 * plan whose job was planned past its window while its fires were written
 * (its own job write's outcome lost) runs them.
 */
import { afterEach, describe, expect, test } from 'vitest';
import {
  decode,
  encode,
  keyOf,
  planTag,
  workKey,
  type JobDocument,
  type Work,
} from '../../src/stores/nats/documents.js';
import type { NatsStore } from '../../src/stores/nats/index.js';
import type { ExecutionRecord, JobPlan, JobRecord } from '../../src/stores/store.js';
import { until } from '../helpers/events.js';
import { serviceAvailable } from '../helpers/services.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { NATS_URL, natsStores, planAtT0 } from './nats-fixture.js';
import { makeExecutionRecord, makeJobRecord, T0 } from './records.js';

const available = await serviceAvailable('nats');
/** The version of the job the plans are made on. */
const VERSION = 1;

describe.skipIf(!available)('nats store: plans racing other planners and claimers', () => {
  const { makeStore, bucket, cleanup } = natsStores();
  afterEach(cleanup);

  /** A key of the store's jobs bucket written as another writer left it. */
  async function putRaw(store: NatsStore, key: string, value: unknown): Promise<void> {
    await (await bucket(store, 'jobs')).put(key, encode(value));
  }

  /** An open store with a job due at T0, and a fire at T0 of another writer in its key. */
  async function withFire(theirs: Work): Promise<{ store: NatsStore; job: JobRecord }> {
    const store = makeStore();
    await store.open();
    const job = makeJobRecord({ id: theirs.jobId, version: VERSION, nextFireAt: T0 });
    await store.jobsWrite({ writes: [{ job, expectedVersion: null, dropPlanned: false }] });
    await putRaw(store, workKey(theirs), theirs);
    return { store, job };
  }

  /** The plan of the job's fire at T0, made on its version and next fire T0, leased to 'planner'. */
  function planOf(job: JobRecord, fire: ExecutionRecord): JobPlan {
    const mine = { ...fire, id: 'mine', leaseOwner: 'planner', leaseUntil: T0 + 20_000 };
    return planAtT0(job, { ...mine, leaseToken: 1 });
  }

  test('a planned fire another planner of the same plan created and leased, whose plan did not apply, is leased by the plan that did', async () => {
    const fire = makeExecutionRecord({
      jobId: 'j',
      fireAt: T0,
      leaseOwner: 'crashed',
      leaseUntil: T0 + 30_000,
      leaseToken: 1,
    });
    const { store, job } = await withFire({
      ...fire,
      plan: planTag(VERSION, T0),
      planLease: 'crashed',
    });
    const { claims, applied } = await store.jobsAdvance({ plans: [planOf(job, fire)] });
    expect(applied).toEqual([job.id]);
    expect(claims.map((c) => c.execution)).toEqual([
      expect.objectContaining({ id: fire.id, leaseOwner: 'planner', leaseToken: 2 }),
    ]);
    expect((await store.jobGet({ id: job.id }))?.fireCount).toBe(1);
  });

  test('a planned fire this instance created in an earlier call of the same plan (whose claims it never got) is leased again and claimed', async () => {
    const fire = makeExecutionRecord({
      jobId: 'j',
      fireAt: T0,
      leaseOwner: 'planner',
      leaseUntil: T0 + 30_000,
      leaseToken: 1,
    });
    const { store, job } = await withFire({
      ...fire,
      plan: planTag(VERSION, T0),
      planLease: 'planner',
    });
    const { claims } = await store.jobsAdvance({ plans: [planOf(job, fire)] });
    expect(claims.map((c) => c.execution)).toEqual([
      expect.objectContaining({ id: fire.id, leaseOwner: 'planner', leaseToken: 2 }),
    ]);
  });

  test('a planned fire of the same plan that another instance claimed since is left to it: the plan does not lease it too', async () => {
    const fire = makeExecutionRecord({
      jobId: 'j',
      fireAt: T0,
      leaseOwner: 'claimer',
      leaseUntil: T0 + 30_000,
      leaseToken: 1,
    });
    const { store, job } = await withFire({ ...fire, plan: planTag(VERSION, T0) });
    const { claims, applied } = await store.jobsAdvance({ plans: [planOf(job, fire)] });
    expect(applied).toEqual([job.id]);
    expect(claims).toEqual([]);
    const [kept] = await store.executionsList({ jobId: job.id, limit: 10 });
    expect(kept).toMatchObject({ id: fire.id, leaseOwner: 'claimer', leaseToken: 1 });
  });

  test('a fire an older plan created (its plan cannot apply; its planner deletes it once its job write fails) is written again as the applying plan’s and claimed by it', async () => {
    const fire = makeExecutionRecord({
      jobId: 'j',
      fireAt: T0,
      leaseOwner: 'older',
      leaseUntil: T0 + 30_000,
      leaseToken: 1,
    });
    const { store, job } = await withFire({
      ...fire,
      plan: planTag(VERSION, T0 - 1_000),
      planLease: 'older',
    });
    const { claims, applied } = await store.jobsAdvance({ plans: [planOf(job, fire)] });
    expect(applied).toEqual([job.id]);
    expect(claims.map((c) => c.execution)).toEqual([
      expect.objectContaining({ id: 'mine', leaseOwner: 'planner', leaseToken: 1 }),
    ]);
    const listed = await store.executionsList({ jobId: job.id, limit: 10 });
    expect(listed.map((e) => e.id)).toEqual(['mine']);
  });

  test('a fire an older plan created that another instance claimed since is left to it', async () => {
    const fire = makeExecutionRecord({
      jobId: 'j',
      fireAt: T0,
      leaseOwner: 'claimer',
      leaseUntil: T0 + 30_000,
      leaseToken: 1,
    });
    const { store, job } = await withFire({ ...fire, plan: planTag(VERSION, T0 - 1_000) });
    const { claims, applied } = await store.jobsAdvance({ plans: [planOf(job, fire)] });
    expect(applied).toEqual([job.id]);
    expect(claims).toEqual([]);
    const listed = await store.executionsList({ jobId: job.id, limit: 10 });
    expect(listed.map((e) => e.id)).toEqual([fire.id]);
  });
});

describe.skipIf(!available)('nats store: plans and a change of the schedule', () => {
  const { makeStore, bucket, cleanup } = natsStores();
  afterEach(cleanup);

  /** An open store holding job `j` (version 1, next fire T0, `fireCount`) and these raw fires of it. */
  async function withFires(fireCount: number, fires: Work[]) {
    const store = makeStore();
    await store.open();
    const job = makeJobRecord({ id: 'j', version: VERSION, nextFireAt: T0, fireCount });
    await store.jobsWrite({ writes: [{ job, expectedVersion: null, dropPlanned: false }] });
    const kv = await bucket(store, 'jobs');
    for (const fire of fires) await kv.put(workKey(fire), encode(fire));
    await store.executionGet({ id: 'unknown' }); // waits for the watch to bring the bucket's last write
    return { store, job };
  }

  /**
   * A plan of `next` at the old fire's instant applies and leases its fire
   * there ('mine', to 'planner'), and the job counts the instant once.
   */
  async function expectRunAsOwn(store: NatsStore, next: JobRecord, fire: ExecutionRecord) {
    const mine = { ...fire, id: 'mine', leaseOwner: 'planner', leaseUntil: T0 + 20_000 };
    const plan = planAtT0(next, { ...mine, leaseToken: 1 });
    const { claims, applied } = await store.jobsAdvance({ plans: [plan] });
    expect(applied).toEqual([next.id]);
    expect(claims.map((c) => c.execution)).toEqual([
      expect.objectContaining({ id: 'mine', fireAt: T0, leaseOwner: 'planner' }),
    ]);
    await until(
      async () => (await store.jobGet({ id: next.id }))?.fireCount === 1,
      5_000,
      'the fire count',
    );
  }

  test('a write that changes the schedule drops the unleased fires of older versions, not one a plan of the new version made', async () => {
    const planned = (fireAt: number, version: number): Work => ({
      ...makeExecutionRecord({ jobId: 'j', fireAt }),
      plan: planTag(version, fireAt),
    });
    const { store, job } = await withFires(2, [
      planned(T0, VERSION),
      planned(T0 + 1_000, VERSION + 1),
    ]);
    const next = { ...job, version: VERSION + 1 };
    await store.jobsWrite({ writes: [{ job: next, expectedVersion: VERSION, dropPlanned: true }] });
    const listed = await store.executionsList({ jobId: job.id, limit: 10 });
    expect(listed.map((e) => e.fireAt)).toEqual([T0 + 1_000]);
    expect((await store.jobGet({ id: job.id }))?.fireCount).toBe(1);
  });

  test('a plan of a new version that finds a fire the change dropped at its instant runs it as its own, the count given back', async () => {
    const fire = makeExecutionRecord({ jobId: 'j', fireAt: T0 });
    const owed = { id: 'drop-debt', fires: -1, reopen: true };
    const { store, job } = await withFires(1, [
      { ...fire, plan: planTag(VERSION, T0), dropped: true, owed: [owed] },
    ]);
    const next = { ...job, version: VERSION + 1 };
    await store.jobsWrite({
      writes: [{ job: next, expectedVersion: VERSION, dropPlanned: false }],
    });
    // Counted by the old plan, given back by the drop, counted by the new plan.
    await expectRunAsOwn(store, next, fire);
  });

  test('a plan of a new version that finds an unleased fire of an older version its change drops, not dropped yet, runs it as its own, the count given back', async () => {
    // The change's document write applied (naming the drop); its drop has not reached the fire.
    const fire = makeExecutionRecord({ jobId: 'j', fireAt: T0 });
    const { store, job } = await withFires(1, [{ ...fire, plan: planTag(VERSION, T0) }]);
    const next = { ...job, version: VERSION + 1 };
    const kv = await bucket(store, 'jobs');
    const entry = await kv.get(keyOf(job.id));
    const doc = decode<JobDocument>(entry?.value ?? new Uint8Array());
    await kv.put(keyOf(job.id), encode({ ...doc, job: next, dropBelow: next.version }));
    await store.executionGet({ id: 'unknown' }); // the watch brought the write
    // Counted by the old plan, given back as the drop would, counted by the new plan.
    await expectRunAsOwn(store, next, fire);
    expect((await store.executionsList({ jobId: job.id, limit: 10 })).map((e) => e.id)).toEqual([
      'mine',
    ]);
  });

  test('a write that drops planned fires names its version in the document; one that does not leaves the name', async () => {
    const { store, job } = await withFires(0, []);
    const kv = await bucket(store, 'jobs');
    const dropBelow = async () =>
      decode<JobDocument>((await kv.get(keyOf(job.id)))?.value ?? new Uint8Array()).dropBelow;
    const v2 = { ...job, version: VERSION + 1 };
    await store.jobsWrite({ writes: [{ job: v2, expectedVersion: VERSION, dropPlanned: true }] });
    expect(await dropBelow()).toBe(VERSION + 1);
    const v3 = { ...job, version: VERSION + 2 };
    await store.jobsWrite({
      writes: [{ job: v3, expectedVersion: VERSION + 1, dropPlanned: false }],
    });
    expect(await dropBelow()).toBe(VERSION + 1);
  });
});

describe.skipIf(!available)('nats store: the plans a job document names', () => {
  const { makeStore, bucket, cleanup } = natsStores();
  afterEach(cleanup);

  test('are its last four plans applied (tag and the next fire each left), the newest last, kept by a write of a new version', async () => {
    const store = makeStore();
    await store.open();
    let job = makeJobRecord({ id: 'j', version: VERSION, nextFireAt: T0 });
    await store.jobsWrite({ writes: [{ job, expectedVersion: null, dropPlanned: false }] });
    const applied: [string, number][] = [];
    for (let i = 0; i < 6; i++) {
      const at = T0 + i * 60_000;
      applied.push([planTag(VERSION, at), at + 60_000]);
      const fire = makeExecutionRecord({ jobId: job.id, fireAt: at });
      const plan = { ...planAtT0(job, fire), expectedNextFireAt: at, nextFireAt: at + 60_000 };
      expect((await store.jobsAdvance({ plans: [plan] })).applied).toEqual([job.id]);
    }
    job = { ...job, version: VERSION + 1, nextFireAt: T0 + 360_000 };
    await store.jobsWrite({ writes: [{ job, expectedVersion: VERSION, dropPlanned: false }] });
    const kv = await bucket(store, 'jobs');
    const doc = decode<JobDocument>((await kv.get(keyOf(job.id)))?.value ?? new Uint8Array());
    expect(doc.job.version).toBe(VERSION + 1);
    expect(doc.plans).toEqual(applied.slice(2));
  });
});

describe.skipIf(!available)('nats store: a plan whose job was planned past it meanwhile', () => {
  const { makeStore, bucket, cleanup } = natsStores();
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await cleanup();
    await proxy?.stop();
  });

  /**
   * Plans the job's fire at T0 on a store whose replies are held once the
   * plan is sent; when its fire is written, `meanwhile` changes the job's
   * document in the bucket, then the replies flow again. The plan's answer,
   * and the fire as the bucket then holds it.
   */
  async function planWhile(meanwhile: (doc: JobDocument) => void) {
    const url = new URL(NATS_URL);
    proxy = await new TcpProxy(url.hostname, Number(url.port || 4222)).start();
    const store = makeStore({ servers: `nats://127.0.0.1:${proxy.port}` });
    await store.open();
    const job = makeJobRecord({ id: 'j', version: VERSION, nextFireAt: T0 });
    await store.jobsWrite({ writes: [{ job, expectedVersion: null, dropPlanned: false }] });
    const kv = await bucket(store, 'jobs');
    const fire = makeExecutionRecord({ jobId: job.id, fireAt: T0 });
    const leased = { ...fire, leaseOwner: 'planner', leaseUntil: T0 + 20_000, leaseToken: 1 };
    proxy.holdReplies();
    const advancing = store.jobsAdvance({ plans: [planAtT0(job, leased)] });
    await until(async () => (await kv.get(workKey(fire)))?.operation === 'PUT', 10_000, 'the fire');
    const entry = await kv.get(keyOf(job.id));
    const doc = decode<JobDocument>(entry?.value ?? new Uint8Array());
    meanwhile(doc);
    await kv.put(keyOf(job.id), encode(doc));
    proxy.releaseReplies();
    const answer = await advancing;
    const stored = await kv.get(workKey(fire));
    return { answer, stored: stored?.operation === 'PUT' ? decode<Work>(stored.value) : null };
  }

  test('by a plan of its own tag and a later one (as when its own job write applied and its acknowledgement was lost): its fire is leased again and claimed, not deleted', async () => {
    const { answer, stored } = await planWhile((doc) => {
      doc.job.nextFireAt = T0 + 120_000;
      doc.plans = [[planTag(VERSION, T0 + 60_000), T0 + 120_000]];
    });
    expect(answer.applied).toEqual([]);
    expect(answer.claims.map((c) => c.execution)).toEqual([
      expect.objectContaining({ fireAt: T0, leaseOwner: 'planner', leaseToken: 2 }),
    ]);
    expect(stored).toMatchObject({ fireAt: T0, leaseOwner: 'planner', leaseToken: 2 });
  });

  test('by a job deleted and created again on the same version: its fire is deleted', async () => {
    const { answer, stored } = await planWhile((doc) => {
      doc.job.createdAt += 1;
      doc.job.nextFireAt = T0 + 120_000;
    });
    expect(answer).toEqual({ claims: [], applied: [] });
    expect(stored).toBeNull();
  });

  test('by its own write, its acknowledgement lost, then a write of a new version (its tag among the last plans the document names): its fire is leased again and claimed, not deleted', async () => {
    const { answer, stored } = await planWhile((doc) => {
      doc.plans = [
        [planTag(VERSION, T0), T0 + 60_000],
        [planTag(VERSION + 1, T0 + 60_000), T0 + 120_000],
      ];
      doc.job.version += 1;
      doc.job.nextFireAt = T0 + 120_000;
    });
    expect(answer.applied).toEqual([]);
    expect(answer.claims.map((c) => c.execution)).toEqual([
      expect.objectContaining({ fireAt: T0, leaseOwner: 'planner', leaseToken: 2 }),
    ]);
    expect(stored).toMatchObject({ fireAt: T0, leaseOwner: 'planner', leaseToken: 2 });
  });

  test('by a write of a new version, its tag named with an empty window (a plan that left the next fire where it was, as a pause record does): its fire is deleted', async () => {
    const { answer, stored } = await planWhile((doc) => {
      doc.plans = [[planTag(VERSION, T0), T0]];
      doc.job.version += 1;
      doc.job.nextFireAt = T0 + 120_000;
    });
    expect(answer).toEqual({ claims: [], applied: [] });
    expect(stored).toBeNull();
  });

  test('by a job deleted and created again that names its tag: its fire is deleted', async () => {
    const { answer, stored } = await planWhile((doc) => {
      doc.plans = [[planTag(VERSION, T0), T0 + 60_000]];
      doc.job.createdAt += 1;
      doc.job.nextFireAt = T0 + 120_000;
    });
    expect(answer).toEqual({ claims: [], applied: [] });
    expect(stored).toBeNull();
  });

  test('by a write of a new version: its fire is deleted', async () => {
    const { answer, stored } = await planWhile((doc) => {
      doc.job.version += 1;
      doc.job.nextFireAt = T0 + 120_000;
    });
    expect(answer).toEqual({ claims: [], applied: [] });
    expect(stored).toBeNull();
  });
});
