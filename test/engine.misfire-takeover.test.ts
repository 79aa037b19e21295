/**
 * Misfire policy for a fire planned before an outage and taken over after it
 * (regression of the review of commit 4d81d5b): instance A plans and leases
 * the 03:00 fire of a daily job at 02:59:58, then its host loses power. The
 * cluster comes back six hours later. A vanished seconds before the instant,
 * so it may have run the fire (an attempt writes nothing before its end): the
 * attempt is recorded abandoned. Under `misfire: 'skip'` the fire is recorded
 * `missed`, not run again; under the default `fire_once` it runs, late.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  cron,
  every,
  memoryStore,
  TestClock,
  type MisfirePolicy,
  type Scheduler,
  type Store,
} from '../src/index.js';
import { collect } from './helpers/events.js';
import { testScheduler } from './helpers/scheduler.js';

const T0 = Date.parse('2026-03-02T02:59:58Z');
const FIRE = Date.parse('2026-03-02T03:00:00Z');
const OUTAGE_MS = 6 * 3_600_000;

describe('misfire policy of fires taken over after an outage', () => {
  const schedulers: Scheduler[] = [];
  afterEach(async () => {
    for (const s of schedulers.splice(0)) await s.stop({ timeoutMs: 0 });
  });

  /** A plans and leases the 03:00 fire, then is never heard of again. */
  async function crashAfterPlanning(store: Store, misfire?: MisfirePolicy) {
    const a = testScheduler({ store, clock: new TestClock(T0), instanceId: 'A' });
    let ranOnA = 0;
    a.scheduler.handle('h', () => void ranOnA++);
    await a.scheduler.start();
    await a.scheduler.ensureJob({
      id: 'daily',
      schedule: cron('0 3 * * *'),
      ...(misfire ? { misfire } : {}),
      misfireGrace: '1m',
      target: { type: 'handler', name: 'h' },
    });
    await a.clock.advance(500); // within the horizon: the fire is planned and leased to A
    const [planned] = await store.executionsList({ jobId: 'daily', limit: 10 });
    expect(planned).toMatchObject({ fireAt: FIRE, status: 'scheduled', leaseOwner: 'A' });
    expect(ranOnA).toBe(0);
    return planned?.id;
  }

  /** B starts six hours later and runs for a minute. */
  async function recoverLater(store: Store) {
    const b = testScheduler({ store, clock: new TestClock(T0 + OUTAGE_MS), instanceId: 'B' });
    schedulers.push(b.scheduler);
    const ran: { fireAt: number; at: number }[] = [];
    b.scheduler.handle('h', (ctx) => {
      ran.push({ fireAt: ctx.fireAt.getTime(), at: b.clock.now() });
    });
    const missed = collect(b.scheduler, 'fire:missed');
    await b.scheduler.start();
    await b.clock.advance(60_000); // long enough for A's lease to be taken over
    return { ...b, ran, missed };
  }

  it("records the fire missed under misfire 'skip', without running it", async () => {
    const store = memoryStore();
    const id = await crashAfterPlanning(store, 'skip');
    const { scheduler, ran, missed } = await recoverLater(store);

    expect(ran).toEqual([]);
    const executions = (await scheduler.listExecutions({ jobId: 'daily' })).items;
    expect(executions.map((e) => [e.id, e.fireAt, e.status])).toEqual([
      [id, new Date(FIRE).toISOString(), 'missed'],
    ]);
    // A vanished within seconds of the instant: it may have called the target (an attempt
    // writes nothing before its end), so its attempt is recorded as abandoned — and not run
    // again six hours late.
    expect(executions[0]?.attempts.map((a) => [a.attempt, a.owner, a.outcome])).toEqual([
      [1, 'A', 'abandoned'],
    ]);
    expect(missed.map((e) => [e.executionId, e.fireAt.getTime()])).toEqual([[id, FIRE]]);
    expect(missed[0]?.lateByMs).toBeGreaterThan(OUTAGE_MS - 60_000);
  });

  it('runs it late under the default fire_once', async () => {
    const store = memoryStore();
    const id = await crashAfterPlanning(store);
    const { scheduler, ran, missed } = await recoverLater(store);

    expect(ran).toHaveLength(1);
    expect(ran[0]?.fireAt).toBe(FIRE);
    expect(ran[0]?.at).toBeGreaterThan(FIRE + OUTAGE_MS - 60_000);
    expect(missed).toEqual([]);
    const executions = (await scheduler.listExecutions({ jobId: 'daily' })).items;
    expect(executions.map((e) => [e.id, e.status])).toEqual([[id, 'succeeded']]);
  });

  it('under fire_once, records missed a fire taken over after a later one fell due: the newest runs once', async () => {
    const store = memoryStore();
    const a = testScheduler({ store, clock: new TestClock(T0), instanceId: 'A' });
    a.scheduler.handle('h', () => undefined);
    await a.scheduler.start();
    await a.scheduler.ensureJob({
      id: 'ten',
      schedule: every('10s', { startAt: new Date(FIRE) }),
      misfireGrace: '5s',
      target: { type: 'handler', name: 'h' },
    });
    await a.clock.advance(500); // the FIRE fire is planned and leased to A, which then vanishes

    // B comes 25 s after FIRE: the fires of +10 s and +20 s fell due meanwhile.
    const b = testScheduler({ store, clock: new TestClock(FIRE + 25_000), instanceId: 'B' });
    schedulers.push(b.scheduler);
    const ran: number[] = [];
    b.scheduler.handle('h', (ctx) => void ran.push(ctx.fireAt.getTime()));
    await b.scheduler.start();
    await b.clock.advance(3_000);

    // The newest late fire (+20 s) runs once; FIRE (its attempt perhaps run by A) and +10 s
    // are missed.
    expect(ran).toEqual([FIRE + 20_000]);
    const executions = (await b.scheduler.listExecutions({ jobId: 'ten' })).items;
    const statusAt = new Map(executions.map((e) => [Date.parse(e.fireAt) - FIRE, e.status]));
    expect(statusAt.get(0)).toBe('missed');
    expect(statusAt.get(10_000)).toBe('missed');
    expect(statusAt.get(20_000)).toBe('succeeded');
  });
});
