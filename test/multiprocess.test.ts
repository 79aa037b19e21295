import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { once, every, sqliteStore, type Store } from '../src/index.js';
import { newJobRecord } from '../src/scheduler/job-records.js';
import { tempDir } from './helpers/files.js';
import { startWorker, stopWorker, type WorkerProcess } from './helpers/processes.js';
import { expectEveryFireOnce, readRecords, takeoverMs } from './helpers/takeover.js';

describe('several scheduler processes on one SQLite file', () => {
  const workers: WorkerProcess[] = [];
  let cleanupDir: (() => void) | undefined;
  let store: Store | undefined;

  afterEach(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    workers.length = 0;
    await store?.close();
    store = undefined;
    cleanupDir?.();
  });

  function setup() {
    const { dir, cleanup } = tempDir();
    cleanupDir = cleanup;
    return { dir, dbPath: join(dir, 'chime.db') };
  }

  /**
   * SIGSTOPs `victim` until `survivor` declares it dead. A process stopped
   * inside a SQLite write transaction holds the file's write lock until it
   * continues, and every other writer waits (SQLITE_BUSY): such a stop is
   * undone (SIGCONT) and tried again a second later.
   */
  async function stopUntilDeclaredDead(victim: WorkerProcess, survivor: WorkerProcess) {
    for (let tries = 1; ; tries++) {
      victim.child.kill('SIGSTOP');
      const stoppedAt = Date.now();
      const declared = (l: Record<string, unknown>) =>
        l.event === 'instance:dead' && Number(l.at) > stoppedAt;
      const dead = await survivor.waitFor(declared, 4_500).catch(() => undefined);
      if (dead) return { stoppedAt, dead };
      if (tries === 5) throw new Error('the stopped worker kept the SQLite file locked');
      victim.child.kill('SIGCONT');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }

  /**
   * Once every worker is up, `count` jobs firing every second from a whole
   * second 3 s ahead, written straight into the store; returns their ids and
   * that first instant. (Started under load, workers can take seconds to be up.)
   */
  async function ticksOnceReady(dbPath: string, count: number) {
    await Promise.all(workers.map((w) => w.waitFor((l) => l.event === 'ready')));
    store = sqliteStore({ path: dbPath });
    await store.open();
    const t0 = Math.ceil((Date.now() + 3_000) / 1000) * 1000;
    const ids = Array.from({ length: count }, (_, i) => `tick-${i}`);
    const now = Date.now();
    const writes = ids.map((id) => ({
      job: newJobRecord(id, { id, schedule: every('1s', { startAt: new Date(t0) }) }, now),
      expectedVersion: null,
      dropPlanned: false,
    }));
    expect(await store.jobsWrite({ writes })).toEqual([]);
    return { ids, t0 };
  }

  it('executes every (job, fireAt) exactly once: none missed, none duplicated', async () => {
    const { dir, dbPath } = setup();
    const JOBS = 60;
    const t0 = Math.ceil((Date.now() + 10_000) / 1000) * 1000;
    const jobs = Array.from({ length: JOBS }, (_, i) => ({
      id: `tick-${i}`,
      schedule: every('1s', { startAt: new Date(t0) }),
    }));
    const files = ['a', 'b', 'c'].map((name) => join(dir, `${name}.jsonl`));
    for (const [i, name] of ['a', 'b', 'c'].entries()) {
      workers.push(startWorker({ dbPath, instanceId: name, recordFile: files[i], jobs }));
    }
    await Promise.all(workers.map((w) => w.waitFor((l) => l.event === 'ready')));
    expect(Date.now()).toBeLessThan(t0); // every instance was up before the first fire
    await new Promise((resolve) => setTimeout(resolve, t0 + 6_200 - Date.now()));
    await Promise.all(workers.map(stopWorker));

    const records = readRecords(files);
    const count = new Map<string, number>();
    for (const r of records)
      count.set(`${r.jobId}@${r.fireAt}`, (count.get(`${r.jobId}@${r.fireAt}`) ?? 0) + 1);
    const duplicated = [...count].filter(([, n]) => n > 1);
    expect(duplicated).toEqual([]);
    for (const job of jobs) {
      const fires = records
        .filter((r) => r.jobId === job.id)
        .map((r) => (r.fireAt - t0) / 1000)
        .sort((a, b) => a - b);
      expect(fires.slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5]); // contiguous from the anchor: nothing missed
      expect(fires).toEqual(fires.map((_, k) => k));
    }
    store = sqliteStore({ path: dbPath });
    await store.open();
    const missed = await store.executionsList({ status: 'missed', limit: 10 });
    expect(missed).toEqual([]);
    const succeeded = await store.executionsList({ status: 'succeeded', limit: 100_000 });
    expect(succeeded.length).toBe(records.length);
  }, 60_000);

  it('takes over the execution of a SIGKILLed instance after its lease expires: same id, attempt + 1', async () => {
    const { dir, dbPath } = setup();
    const fireAt = Math.ceil((Date.now() + 4_000) / 1000) * 1000;
    const a = startWorker({
      dbPath,
      instanceId: 'a',
      recordFile: join(dir, 'a.jsonl'),
      leaseMs: 1_500,
      handlerMs: 120_000,
      jobs: [{ id: 'long', schedule: once(new Date(fireAt)) }],
    });
    workers.push(a);
    const startedOnA = await a.waitFor((l) => l.event === 'handler:started');
    const b = startWorker({
      dbPath,
      instanceId: 'b',
      recordFile: join(dir, 'b.jsonl'),
      leaseMs: 1_500,
    });
    workers.push(b);
    await b.waitFor((l) => l.event === 'ready');
    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    const startedOnB = await b.waitFor((l) => l.event === 'handler:started');
    expect(startedOnB.executionId).toBe(startedOnA.executionId);
    expect([startedOnA.attempt, startedOnB.attempt]).toEqual([1, 2]);
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    await b.waitFor((l) => l.event === 'execution:succeeded');
    await stopWorker(b);
    store = sqliteStore({ path: dbPath });
    await store.open();
    const execution = await store.executionGet({ id: startedOnA.executionId as string });
    expect(execution).toMatchObject({ status: 'succeeded', attempt: 2, result: 'b' });
    expect(execution?.attempts.map((x) => [x.attempt, x.owner, x.outcome])).toEqual([
      [1, 'a', 'abandoned'],
      [2, 'b', 'succeeded'],
    ]);
  }, 60_000);

  it("rejects the late result of an instance frozen (SIGSTOP) past its lease: the outcome is the other instance's", async () => {
    const { dir, dbPath } = setup();
    const fireAt = Math.ceil((Date.now() + 4_000) / 1000) * 1000;
    const a = startWorker({
      dbPath,
      instanceId: 'a',
      recordFile: join(dir, 'a.jsonl'),
      leaseMs: 1_000,
      handlerMs: 6_000,
      result: 'from-a',
      jobs: [{ id: 'frozen', schedule: once(new Date(fireAt)) }],
    });
    workers.push(a);
    const startedOnA = await a.waitFor((l) => l.event === 'handler:started');
    a.child.kill('SIGSTOP'); // frozen mid-attempt, its lease runs out
    const b = startWorker({
      dbPath,
      instanceId: 'b',
      recordFile: join(dir, 'b.jsonl'),
      leaseMs: 1_000,
      result: 'from-b',
    });
    workers.push(b);
    const done = await b.waitFor((l) => l.event === 'execution:succeeded');
    expect((done.payload as { executionId: string }).executionId).toBe(startedOnA.executionId);
    a.child.kill('SIGCONT');
    const lost = await a.waitFor((l) => l.event === 'lease:lost');
    expect((lost.payload as { executionId: string }).executionId).toBe(startedOnA.executionId);
    await new Promise((resolve) => setTimeout(resolve, 6_500)); // A's handler has finished by now
    expect(a.lines.filter((l) => l.event === 'execution:succeeded')).toEqual([]);
    await Promise.all([stopWorker(a), stopWorker(b)]);
    store = sqliteStore({ path: dbPath });
    await store.open();
    const execution = await store.executionGet({ id: startedOnA.executionId as string });
    expect(execution).toMatchObject({ status: 'succeeded', result: 'from-b', attempt: 2 });
  }, 60_000);

  it('takes over the fires of a SIGKILLed instance within about 2 s, long before its lease: 3 processes, 50 jobs every second', async () => {
    const { dir, dbPath } = setup();
    const names = ['a', 'b', 'c', 'd'];
    const file = (name: string) => join(dir, `${name}.jsonl`);
    // Leases of 30 s (the default): a takeover within seconds is the registry's, not the lease's.
    const start = (name: string) =>
      workers.push(startWorker({ dbPath, instanceId: name, recordFile: file(name) }));
    for (const name of ['a', 'b', 'c']) start(name);
    const { ids, t0 } = await ticksOnceReady(dbPath, 50);

    await new Promise((resolve) => setTimeout(resolve, t0 + 5_000 - Date.now()));
    const victim = workers[2] as WorkerProcess;
    victim.child.kill('SIGKILL'); // at an instant: it is calling that second's handlers
    const killedAt = Date.now();
    start('d');
    await new Promise((resolve) => setTimeout(resolve, t0 + 14_000 - Date.now()));
    await Promise.all(workers.filter((w) => w !== victim).map(stopWorker));

    const records = readRecords(names.map(file));
    const declared = workers.flatMap((w) => w.lines.filter((l) => l.event === 'instance:dead'));
    expect(declared.map((l) => (l.payload as { instanceId: string }).instanceId)).toEqual(['c']);
    expectEveryFireOnce(records, ids, t0, t0 + 12_000, 'c');
    // Declared dead (its work free) within a heartbeat (2 s), and no fire waited much longer.
    const detected = Math.min(...declared.map((l) => Number(l.at))) - killedAt;
    const took = takeoverMs(records, 'c', killedAt);
    console.info(`sqlite: SIGKILL declared dead after ${detected} ms; longest wait ${took} ms`);
    expect(detected).toBeLessThan(2_500);
    expect(took).toBeLessThan(3_000);
  }, 60_000);

  it('declares a SIGSTOPped instance dead: its fires run elsewhere, and after SIGCONT it finds itself declared dead, runs nothing twice and registers again', async () => {
    const { dir, dbPath } = setup();
    const file = (name: string) => join(dir, `${name}.jsonl`);
    const options = { dbPath, heartbeatMs: 500, deadAfterMs: 2_000 };
    const a = startWorker({ ...options, instanceId: 'a', recordFile: file('a') });
    const b = startWorker({ ...options, instanceId: 'b', recordFile: file('b') });
    workers.push(a, b);
    const { ids, t0 } = await ticksOnceReady(dbPath, 20);

    await new Promise((resolve) => setTimeout(resolve, t0 + 3_000 - Date.now()));
    const { stoppedAt, dead } = await stopUntilDeclaredDead(a, b);
    expect((dead.payload as { instanceId: string }).instanceId).toBe('a');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    a.child.kill('SIGCONT');
    const resumedAt = Date.now();
    await a.waitFor((l) => l.event === 'instance:declared-dead', 10_000);
    // It registers again and takes its share of later fires: waited for (a loaded machine
    // delays it by seconds), at most until t0 + 30 s.
    const sharing = () =>
      readRecords([file('a')]).some((r) => r.instance === 'a' && r.fireAt > resumedAt + 2_000);
    while (!sharing() && Date.now() < t0 + 30_000)
      await new Promise((resolve) => setTimeout(resolve, 250));
    await new Promise((resolve) => setTimeout(resolve, t0 + 14_000 - Date.now()));
    await Promise.all(workers.map(stopWorker));

    const records = readRecords([file('a'), file('b')]);
    // Nothing ran twice but what it was running when it stopped (taken over, attempt + 1),
    // and once resumed it called no handler of a fire due while it was stopped.
    expectEveryFireOnce(records, ids, t0, t0 + 12_000, 'a');
    // (A fire due as it was stopped may have been mid-call: its record comes after SIGCONT.)
    const lateOnA = records.filter(
      (r) =>
        r.instance === 'a' &&
        r.startedAt >= resumedAt &&
        r.fireAt > stoppedAt &&
        r.fireAt < resumedAt - 500,
    );
    expect(lateOnA).toEqual([]);
    // It registered again and took its share of the later fires.
    expect(records.some((r) => r.instance === 'a' && r.fireAt > resumedAt + 2_000)).toBe(true);
    expect(records.some((r) => r.instance === 'b' && r.fireAt > stoppedAt + 3_000)).toBe(true);
  }, 60_000);
});
