/**
 * idle: 100,000 jobs whose fire is a month away, in a fresh process (`run.js
 * --child=idle`, so RSS and CPU are the idle instance's, not what earlier
 * workloads left); over --idle-seconds: requests per second the store sent
 * (its own counters: SQL statements, or the messages of the NATS store's
 * connection; store calls where it keeps none), the store calls they served
 * (a Proxy counts them), CPU of the instance and of its Postgres backends,
 * RSS, the JS heap per job (what the instance holds after a GC: the NATS
 * store's mirror), bytes per job. One run by default: its figures are counts
 * and averages over the whole window, and three 30 s windows would push the
 * suite past 12 min.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createScheduler, once, type Store } from '../../src/index.js';
import { newJobRecord } from '../../src/scheduler/job-records.js';
import { cpuUsedMs, procCpuMs, round1, round2, silent, sleep } from '../lib.js';
import type { Made, StoreCase } from '../stores.js';
import { DAY_MS, type Figures, type RunContext, type Workload } from '../workload.js';

const JOBS = 100_000;
const RUNNER = fileURLToPath(new URL('../run.js', import.meta.url));

async function measure(storeCase: StoreCase, { opts }: RunContext): Promise<Figures> {
  const args = [
    '--expose-gc',
    RUNNER,
    '--child=idle',
    `--stores=${storeCase.name}`,
    `--idle-seconds=${opts.idleSeconds}`,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const last = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0) throw new Error(`the idle process exited with ${String(code)}: ${last}`);
  return JSON.parse(last) as Figures;
}

/** Wraps a store so every method call is counted by name. */
function countingStore(store: Store): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(prop), (calls.get(String(prop)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

/** Inserts the jobs; the JS heap they took (what the memory store's bytes per job are). */
async function insertJobs(made: Made): Promise<{ insertMs: number; heapBefore: number }> {
  const now = Date.now();
  const template = newJobRecord(
    'idle',
    { id: 'idle', schedule: once(new Date(now + 30 * DAY_MS)) },
    now,
  );
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const insertStart = performance.now();
  await made.insertJobs(template, 'idle-', JOBS);
  return { insertMs: performance.now() - insertStart, heapBefore };
}

/** The idle workload, in this process (the child that {@link measure} starts). */
export async function idleHere(storeCase: StoreCase, seconds: number): Promise<Figures> {
  const made = await storeCase.make();
  const counting = countingStore(made.store);
  const scheduler = createScheduler({ store: counting.store, logger: silent });
  try {
    await made.store.open();
    const { insertMs, heapBefore } = await insertJobs(made);
    await scheduler.start();
    await sleep(2_000); // past the start-up cycles
    gc();
    const heapBytes = process.memoryUsage().heapUsed - heapBefore;
    const pids = await made.serverPids();
    const serverBefore = procCpuMs(pids);
    counting.calls.clear();
    const sentBefore = made.store.usage?.().statements;
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    await sleep(seconds * 1000);
    const wallMs = performance.now() - wallBefore;
    const cpu = process.cpuUsage(cpuBefore);
    const serverMs = cpuUsedMs(serverBefore, procCpuMs(await made.serverPids()));
    const calls = [...counting.calls].sort((a, b) => b[1] - a[1]);
    const sentAfter = made.store.usage?.().statements;
    const sent =
      sentBefore === undefined || sentAfter === undefined
        ? calls.reduce((sum, [, count]) => sum + count, 0)
        : sentAfter - sentBefore;
    const bytes = await made.bytesPerJob(JOBS);
    return {
      jobs: JOBS,
      'insert s': round1(insertMs / 1000),
      'store requests/s': round2(sent / (wallMs / 1000)),
      calls: calls.map(([name, count]) => `${name} ${count}`).join(', '),
      'instance CPU %': round2(((cpu.user + cpu.system) / 1000 / wallMs) * 100),
      'store CPU %': pids.length > 0 ? round2((serverMs / wallMs) * 100) : 'in-process',
      'RSS MB': Math.round(process.memoryUsage().rss / 2 ** 20),
      'heap B/job': Math.round(heapBytes / JOBS),
      'bytes/job': typeof bytes === 'number' ? bytes : Math.round(heapBytes / JOBS),
      'bytes/job of': typeof bytes === 'number' ? 'store' : 'JS heap',
    };
  } finally {
    await scheduler.stop();
    await made.cleanup();
  }
}

export const idle: Workload = {
  name: 'idle',
  describe: () =>
    '100,000 jobs due in a month, nothing due; fresh process, figures over the window',
  key: 'store requests/s',
  targets: [
    // Requests to a server: SQLite's statements run in the process (its CPU figure counts them).
    { figure: 'store requests/s', op: '<=', value: 1, stores: ['postgres', 'nats'], unit: '' },
    { figure: 'instance CPU %', op: '<=', value: 1, unit: ' %' },
    { figure: 'bytes/job', op: '<=', value: 220, stores: ['postgres'], unit: ' B' },
  ],
  runs: (opts) => opts.idleRuns,
  run: measure,
};
