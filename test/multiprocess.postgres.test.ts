/**
 * Many scheduler instances on one Postgres schema: exactly once per fire across
 * processes, a SIGKILLed process's executions taken over with the same
 * execution id, the NOTIFY wake-up across instances, and every connection
 * terminated by the database mid-run. Each test runs in a schema of its own,
 * dropped afterwards; worker processes are killed even when a test fails.
 *
 * The handlers' own count (each call appends a line to its process's record
 * file, see `workers/store-instance.ts`) is checked against the store.
 */
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { postgresStore, type Attempt, type Scheduler } from '../src/index.js';
import { attemptsFromText } from '../src/stores/attempt-text.js';
import { quoteIdentifier } from '../src/stores/postgres/identifiers.js';
import type { StoreChange } from '../src/stores/store.js';
import { until } from './helpers/events.js';
import { expectWokenAcross } from './helpers/wake-across.js';
import { tempDir } from './helpers/files.js';
import {
  callsByFire,
  expectEveryFireOnce,
  readRecords,
  takeoverMs,
  type HandlerCall,
} from './helpers/takeover.js';
import { SERVICES, serviceAvailable, uniqueName } from './helpers/services.js';
import type { StoreWorkerConfig } from './workers/store-instance.js';
import {
  errorsOf,
  expectContiguous,
  range,
  sleepUntil,
  spawnWorker,
  stopWorker,
  type Worker,
} from './helpers/store-workers.js';
import { insertEverySecond } from './helpers/jobs.js';

const DATABASE_URL = SERVICES.postgres.url;
const available = await serviceAvailable('postgres');

/** One handler call, as a worker recorded it. */

/** An execution as the test reads it from the schema. */
interface StoredExecution {
  id: string;
  job_id: string;
  fire_at: number;
  status: string;
  attempt: number;
  attempts: Attempt[];
}

describe.skipIf(!available)('several scheduler processes on one Postgres schema', () => {
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  admin.on('error', () => undefined);
  afterAll(() => admin.end());

  const workers: Worker[] = [];
  const schedulers: Scheduler[] = [];
  const cleanups: (() => void | Promise<void>)[] = [];

  afterEach(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all(workers.splice(0).map((w) => w.exited));
    await Promise.all(schedulers.splice(0).map((s) => s.stop({ timeoutMs: 0 })));
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A fresh schema (dropped afterwards), a temp dir, and an open store on the schema for the test's own use. */
  async function setup() {
    const schema = uniqueName('chime_mp');
    cleanups.push(async () => {
      await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema, '/schema')} CASCADE`);
    });
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const store = postgresStore({ connectionString: DATABASE_URL, schema, maxConnections: 4 });
    cleanups.push(() => store.close());
    await store.open();
    const recordFile = (name: string) => join(dir, `${name}.jsonl`);
    const start = (name: string, options: Partial<StoreWorkerConfig> = {}) => {
      const worker = spawnWorker({
        connectionString: DATABASE_URL,
        schema,
        instanceId: name,
        recordFile: recordFile(name),
        events: ['error', 'lease:lost'],
        ...options,
      });
      workers.push(worker);
      return worker;
    };
    return { schema, store, recordFile, start };
  }

  async function storedExecutions(schema: string): Promise<StoredExecution[]> {
    const { rows } = await admin.query<Omit<StoredExecution, 'attempts'> & { attempts: string }>(
      `SELECT id, job_id, fire_at::float8 AS fire_at, status, attempt, attempts::text AS attempts
       FROM ${quoteIdentifier(schema, '/schema')}.executions`,
    );
    // Attempts as the store reads them (it stores them compactly: attempt-text.ts).
    return rows.map((row) => ({ ...row, attempts: attemptsFromText(row.attempts) }));
  }

  /** Every stored execution succeeded or is still to come (never missed, failed or skipped). */
  function expectNoLoss(executions: StoredExecution[], records: HandlerCall[]) {
    const statuses = new Set(executions.map((e) => e.status));
    expect([...statuses].filter((s) => s !== 'succeeded' && s !== 'scheduled')).toEqual([]);
    const succeeded = executions.filter((e) => e.status === 'succeeded');
    // The handlers ran each succeeded fire, and no other.
    const ran = callsByFire(records);
    expect(succeeded.length).toBe(ran.size);
    for (const e of succeeded) expect(ran.has(`${e.job_id}@${e.fire_at}`)).toBe(true);
    // Fires left scheduled (handed back at the stop) all come after each job's last run.
    const lastRun = new Map<string, number>();
    for (const e of succeeded)
      lastRun.set(e.job_id, Math.max(lastRun.get(e.job_id) ?? 0, e.fire_at));
    const holes = executions.filter(
      (e) => e.status === 'scheduled' && e.fire_at < (lastRun.get(e.job_id) ?? 0),
    );
    expect(holes).toEqual([]);
  }

  it('4 processes, 500 jobs every second for 20 s: every (job, fireAt) executed exactly once', async () => {
    const { schema, store, recordFile, start } = await setup();
    const JOBS = 500;
    const FIRES = 20;
    const names = ['a', 'b', 'c', 'd'];
    for (const name of names) start(name, { concurrency: 200 });
    await Promise.all(workers.map((w) => w.waitFor((l) => l.event === 'ready')));
    const ids = range(JOBS).map((i) => `tick-${i}`);
    const t0 = Math.ceil((Date.now() + 4_000) / 1000) * 1000;
    await insertEverySecond(store, ids, t0);
    expect(Date.now()).toBeLessThan(t0); // every instance was up, and every job in, before the first fire
    await sleepUntil(t0 + (FIRES - 1) * 1000 + 600);
    await Promise.all(workers.map(stopWorker));

    const records = readRecords(names.map(recordFile));
    expect.soft(errorsOf(workers)).toEqual({});
    const duplicated = [...callsByFire(records)].filter(([, calls]) => calls.length > 1);
    expect(duplicated).toEqual([]);
    expect(records.every((r) => r.attempt === 1)).toBe(true);
    expectContiguous(records, ids, t0, FIRES - 1); // the last fire may be handed back at the stop
    expect(records.length).toBeGreaterThanOrEqual(JOBS * (FIRES - 1));
    for (const name of names) expect(records.some((r) => r.instance === name)).toBe(true);
    expectNoLoss(await storedExecutions(schema), records);
  }, 60_000);

  it('one of 4 processes SIGKILLed mid-run, another started: nothing missed, nothing succeeded twice, running executions taken over with the same id', async () => {
    const { schema, store, recordFile, start } = await setup();
    const JOBS = 500;
    const LEASE_MS = 2_000;
    const options = { concurrency: 500, leaseMs: LEASE_MS, handlerMs: 1_500 };
    const names = ['a', 'b', 'c', 'd'];
    for (const name of names) start(name, options);
    await Promise.all(workers.map((w) => w.waitFor((l) => l.event === 'ready')));
    const ids = range(JOBS).map((i) => `tick-${i}`);
    const t0 = Math.ceil((Date.now() + 4_000) / 1000) * 1000;
    await insertEverySecond(store, ids, t0);
    expect(Date.now()).toBeLessThan(t0);

    // Kill the instance running the most handlers (of fires 5 and 6) at that moment: an
    // instance takes the fires it plans while it has room, so the work is not spread evenly.
    await sleepUntil(t0 + 6_300);
    const runningNow = (name: string) =>
      readRecords([recordFile(name)]).filter((r) => r.startedAt > Date.now() - 1_300).length;
    let busiest = { name: '', running: 0 };
    while (busiest.running < 20 && Date.now() < t0 + 12_000) {
      busiest = names
        .map((name) => ({ name, running: runningNow(name) }))
        .reduce((x, y) => (y.running > x.running ? y : x));
      if (busiest.running < 20) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(busiest.running).toBeGreaterThanOrEqual(20);
    const victim = workers.find((w) => w.name === busiest.name) as Worker;
    const killAt = Date.now();
    victim.child.kill('SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    const killed = victim.name;
    start('e', options);
    await sleepUntil(t0 + 15_600);
    await Promise.all(workers.filter((w) => w !== victim).map(stopWorker));

    expect.soft(errorsOf(workers.filter((w) => w !== victim))).toEqual({});
    const records = readRecords([...names, 'e'].map(recordFile));
    // A fire ran more than once only when its earlier runs were on the killed instance.
    for (const [key, calls] of callsByFire(records)) {
      if (calls.length === 1) continue;
      const context = { key, calls };
      expect(
        calls.slice(0, -1).every((c) => c.instance === killed),
        JSON.stringify(context),
      ).toBe(true);
      expect(calls.at(-1)?.instance, JSON.stringify(context)).not.toBe(killed);
      expect(new Set(calls.map((c) => c.executionId)).size, JSON.stringify(context)).toBe(1);
      expect(calls.map((c) => c.attempt)).toEqual(
        calls.map((_, i) => (calls[0]?.attempt ?? 0) + i),
      );
    }
    expectContiguous(records, ids, t0, 15);
    // The new instance joined and ran cleanly. Its share of the fires may be none: who plans a
    // second's fires is a race, and the three survivors have room for all of them (measured at
    // a2704fb: e ran 271 fires in one run, 0 in the next), so that is not asserted.
    expect(workers.find((w) => w.name === 'e')?.lines.some((l) => l.event === 'ready')).toBe(true);

    const executions = await storedExecutions(schema);
    expectNoLoss(executions, records);
    // Every execution the killed instance was running got an `abandoned` attempt, then
    // succeeded on another instance: same execution id, the next attempt number.
    const byId = new Map(executions.map((e) => [e.id, e]));
    const runningOnVictim = records.filter(
      (r) =>
        r.instance === killed &&
        !byId
          .get(r.executionId)
          ?.attempts.some((a) => a.owner === killed && a.outcome === 'succeeded'),
    );
    expect(runningOnVictim.length).toBeGreaterThan(0);
    const takenOver = executions.filter((e) =>
      e.attempts.some((a) => a.owner === killed && a.outcome === 'abandoned'),
    );
    const takenOverIds = new Set(takenOver.map((e) => e.id));
    expect(runningOnVictim.filter((r) => !takenOverIds.has(r.executionId))).toEqual([]);
    // The others were started on the victim but their handler not yet called (DESIGN notes,
    // Start): written up to 250 ms ahead of their instant, or waiting for a slot, which frees
    // within a handler's run. Their fires lie about the kill.
    const calledOnVictim = new Set(runningOnVictim.map((r) => r.executionId));
    const startedNotCalled = takenOver.filter((e) => !calledOnVictim.has(e.id));
    const farFromKill = startedNotCalled.filter(
      (e) => e.fire_at < killAt - options.handlerMs - 1_500 || e.fire_at > killedAt + 1_000,
    );
    expect(farFromKill.map((e) => ({ id: e.id, fireAt: e.fire_at, killAt }))).toEqual([]);
    for (const e of takenOver) {
      const at = e.attempts.findIndex((a) => a.owner === killed && a.outcome === 'abandoned');
      const abandoned = e.attempts[at] as Attempt;
      const next = e.attempts[at + 1];
      expect(e.status).toBe('succeeded');
      expect(next).toMatchObject({ attempt: abandoned.attempt + 1, outcome: 'succeeded' });
      expect(next?.owner).not.toBe(killed);
      const rerun = records.find((r) => r.executionId === e.id && r.instance === next?.owner);
      expect(rerun?.attempt).toBe(abandoned.attempt + 1);
      // Taken over once the lease ran out: well within the misfire grace (1 minute).
      expect((rerun?.startedAt ?? Infinity) - killedAt).toBeLessThan(LEASE_MS + 5_000);
    }
  }, 60_000);

  it('takes over the fires of a SIGKILLed instance within about 2 s, long before its lease: 4 processes, 100 jobs every second', async () => {
    const { store, recordFile, start } = await setup();
    const ids = range(100).map((i) => `tick-${i}`);
    const names = ['a', 'b', 'c', 'd', 'e'];
    // Leases of 30 s (the default): a takeover within seconds is the registry's, not the lease's.
    const events: StoreWorkerConfig['events'] = ['error', 'instance:dead'];
    for (const name of names.slice(0, 4)) start(name, { events });
    await Promise.all(workers.map((w) => w.waitFor((l) => l.event === 'ready')));
    const t0 = Math.ceil((Date.now() + 4_000) / 1000) * 1000;
    await insertEverySecond(store, ids, t0);
    expect(Date.now()).toBeLessThan(t0);

    await sleepUntil(t0 + 5_000);
    const victim = workers[3] as Worker;
    victim.child.kill('SIGKILL'); // at an instant: it is calling that second's handlers
    const killedAt = Date.now();
    start('e', { events });
    await sleepUntil(t0 + 14_000);
    await Promise.all(workers.filter((w) => w !== victim).map(stopWorker));

    expect.soft(errorsOf(workers.filter((w) => w !== victim))).toEqual({});
    const declared = workers.flatMap((w) => w.lines.filter((l) => l.event === 'instance:dead'));
    expect(declared.map((l) => (l.payload as { instanceId: string }).instanceId)).toEqual(['d']);
    const records = readRecords(names.map(recordFile));
    expectEveryFireOnce(records, ids, t0, t0 + 12_000, 'd');
    const detected = Math.min(...declared.map((l) => Number(l.at))) - killedAt;
    const took = takeoverMs(records, 'd', killedAt);
    console.info(`postgres: SIGKILL declared dead after ${detected} ms; longest wait ${took} ms`);
    // 845–1,469 ms on a quiet machine; 2,635 once with a NATS cluster's tests beside it (its
    // fires were taken over within 1,654 ms all the same): the bound is the wait's.
    expect(detected).toBeLessThan(3_000);
    expect(took).toBeLessThan(3_000);
  }, 60_000);

  it('a job ensured on instance A with a fire 300 ms ahead is fired by instance B, polling every 30 s, at its instant (NOTIFY)', async () => {
    const { schema } = await setup();
    const listening = async (changes: StoreChange[]) => {
      await until(() => changes.some((c) => c.dueAt === 0), 5_000, 'B listening');
      await new Promise((resolve) => setTimeout(resolve, 300)); // B's start-up cycles are over: it sleeps
    };
    await expectWokenAcross(
      () => postgresStore({ connectionString: DATABASE_URL, schema }),
      listening,
      schedulers,
      cleanups,
    );
  }, 30_000);

  it('pg_terminate_backend on every connection, twice, mid-run: the instances reconnect, no fire lost or duplicated', async () => {
    const { schema, store, recordFile, start } = await setup();
    const JOBS = 100;
    const FIRES = 12;
    const names = ['a', 'b'];
    const appNames = names.map((name) => `${schema}_${name}`);
    names.forEach((name, i) => start(name, { applicationName: appNames[i], leaseMs: 3_000 }));
    await Promise.all(workers.map((w) => w.waitFor((l) => l.event === 'ready')));
    const ids = range(JOBS).map((i) => `tick-${i}`);
    const t0 = Math.ceil((Date.now() + 2_000) / 1000) * 1000;
    await insertEverySecond(store, ids, t0);

    const terminate = async () => {
      const { rows } = await admin.query<{ pid: number }>(
        // Pick the pids first: in one WHERE, Postgres may call pg_terminate_backend on any row.
        `WITH victims AS MATERIALIZED (
           SELECT pid FROM pg_stat_activity
           WHERE application_name = ANY($1::text[]) AND pid <> pg_backend_pid())
         SELECT pid FROM victims WHERE pg_terminate_backend(pid)`,
        [appNames],
      );
      return rows.length;
    };
    /** Whether every instance has a connection opened after `since` (it reconnected). */
    const reconnected = async (since: number) => {
      const { rows } = await admin.query<{ application_name: string }>(
        `SELECT DISTINCT application_name FROM pg_stat_activity
         WHERE application_name = ANY($1::text[]) AND backend_start > to_timestamp($2 / 1000.0)`,
        [appNames, since],
      );
      return rows.length === appNames.length;
    };
    await sleepUntil(t0 + 3_500);
    expect(await terminate()).toBeGreaterThanOrEqual(names.length * 2); // a pool connection and LISTEN each
    await sleepUntil(t0 + 7_500);
    expect(await terminate()).toBeGreaterThanOrEqual(names.length * 2);
    const secondCut = Date.now();
    await until(() => reconnected(secondCut), 5_000, 'both instances reconnected');
    await sleepUntil(t0 + (FIRES - 1) * 1000 + 600);
    // Fires whose outcome was cut off may wait for their lease to run out; let them finish.
    const lastFire = t0 + (FIRES - 1) * 1000;
    await until(
      async () =>
        (await storedExecutions(schema)).filter(
          (e) => e.fire_at <= lastFire && e.status === 'succeeded',
        ).length ===
        JOBS * FIRES,
      15_000,
      'every fire up to the last one succeeded',
    );
    await Promise.all(workers.map(stopWorker));

    const records = readRecords(names.map(recordFile));
    const duplicated = [...callsByFire(records)].filter(([, calls]) => calls.length > 1);
    expect(duplicated).toEqual([]);
    expectContiguous(records, ids, t0, FIRES);
    expectNoLoss(await storedExecutions(schema), records);
  }, 60_000);
});
