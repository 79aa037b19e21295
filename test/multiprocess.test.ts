import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { once, every, sqliteStore, type Store } from '../src/index.js';
import { tempDir } from './helpers/files.js';
import { startWorker, stopWorker, type WorkerProcess } from './helpers/processes.js';

interface Record {
  instance: string;
  jobId: string;
  fireAt: number;
  executionId: string;
  attempt: number;
}

function readRecords(files: string[]): Record[] {
  return files
    .filter((f) => existsSync(f))
    .flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record),
    );
}

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
});
