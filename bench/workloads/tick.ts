/**
 * tick: 1,000 jobs `every('1s')` with one `startAt`, two scheduler processes
 * (`worker.ts`) on one store, for --tick-seconds; every handler call is
 * recorded by its process. Expected (jobs × fires in the window), observed,
 * missed, duplicated; lag = handler start − fire instant, over the whole run
 * (its first second included: `lag p50/p99/max`), its first and last tenth,
 * and after its first second. Not on the memory store.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuUsedMs, lagFigures, procCpuMs, round1, round2, sleep } from '../lib.js';
import type { SharedTarget, StoreCase } from '../stores.js';
import { startWorker, type WorkerHandle } from '../worker-handle.js';
import type { Figures, Options, RunContext, Workload } from '../workload.js';

const JOBS = 1_000;

/** The two processes, each declaring the jobs and recording its calls to `<dir>/fires-<k>.csv`. */
function startPair(
  target: SharedTarget,
  opts: Options,
  dir: string,
  tick: { startAt: number; windowEnd: number },
): WorkerHandle[] {
  return [0, 1].map((k) =>
    startWorker({
      ...target.config,
      instanceId: `tick-${k}`,
      tick: { jobs: JOBS, ...tick },
      out: join(dir, `fires-${k}.csv`),
      ...(opts.tickConcurrency === undefined ? {} : { concurrency: opts.tickConcurrency }),
    }),
  );
}

/** The executions table every 10 s until `windowEnd`: with retention on, it levels off. */
async function sampleRows(target: SharedTarget, windowEnd: number): Promise<number[]> {
  const rows: number[] = [];
  while (Date.now() < windowEnd) {
    rows.push(await target.executionRows());
    await sleep(Math.min(10_000, Math.max(0, windowEnd - Date.now())));
  }
  rows.push(await target.executionRows());
  return rows;
}

/** Stops the processes once the window's last fires are done; their stats and records. */
async function stopPair(workers: WorkerHandle[], dir: string) {
  await sleep(1_500); // the window's last fires finish
  for (const w of workers) w.stop();
  const stats = await Promise.all(workers.map((w) => w.stopped));
  await Promise.all(workers.map((w) => w.exited));
  const fires = workers.map((_, k) => readFileSync(join(dir, `fires-${k}.csv`), 'utf8'));
  return { stats, fires };
}

async function measure(storeCase: StoreCase, { opts }: RunContext): Promise<Figures> {
  const seconds = opts.tickSeconds;
  if (!storeCase.sharedTarget) throw new Error(`${storeCase.name} cannot be shared by processes`);
  const target = await storeCase.sharedTarget();
  const dir = mkdtempSync(join(tmpdir(), 'chime-bench-fires-'));
  // Room for both processes to start and declare their jobs before planning begins.
  const leadMs = storeCase.name === 'postgres' ? 6_000 : 4_000;
  const startAt = Math.ceil((Date.now() + leadMs) / 1000) * 1000;
  const windowEnd = startAt + seconds * 1000;
  const workers = startPair(target, opts, dir, { startAt, windowEnd });
  try {
    const readyAt = Math.max(...(await Promise.all(workers.map((w) => w.ready))));
    await sleep(Math.max(0, startAt - Date.now()));
    const pids = await target.serverPids();
    const serverBefore = procCpuMs(pids);
    const rows = await sampleRows(target, windowEnd);
    const serverMs = cpuUsedMs(serverBefore, procCpuMs(await target.serverPids()));
    const { stats, fires } = await stopPair(workers, dir);
    return {
      jobs: JOBS,
      seconds,
      ...tickFigures(fires, JOBS, seconds, startAt),
      'instance CPU %': round2(
        stats.reduce((sum, s) => sum + s.cpuMs / s.windowMs, 0) * (100 / stats.length),
      ),
      'store CPU %': pids.length > 0 ? round2((serverMs / (seconds * 1000)) * 100) : 'in-process',
      errors: stats.reduce((sum, s) => sum + s.errors, 0),
      'execution rows (every 10 s)': rows.join(' '),
      'ready T− s': round1((startAt - readyAt) / 1000),
    };
  } finally {
    for (const w of workers) w.kill();
    rmSync(dir, { recursive: true, force: true });
    await target.cleanup();
  }
}

/** The calls of the window, per (job, second): how many, and the first one's lag. */
interface Calls {
  count: Uint16Array;
  first: Float64Array;
  perInstance: number[];
  outside: number;
}

/** Reads the processes' records: one `jobIndex,fireAtMs,startMs` line per handler call. */
function readCalls(files: string[], jobs: number, seconds: number, startAt: number): Calls {
  const count = new Uint16Array(jobs * seconds);
  const first = new Float64Array(jobs * seconds).fill(Number.POSITIVE_INFINITY);
  const perInstance: number[] = [];
  let outside = 0;
  for (const text of files) {
    let mine = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const [job, fireAt, start] = line.split(',').map(Number) as [number, number, number];
      const k = (fireAt - startAt) / 1000;
      if (!Number.isInteger(k) || k < 0 || k >= seconds || !(job >= 0 && job < jobs)) {
        outside++;
        continue;
      }
      const key = job * seconds + k;
      count[key] = (count[key] ?? 0) + 1;
      first[key] = Math.min(first[key] ?? Number.POSITIVE_INFINITY, start - fireAt);
      mine++;
    }
    perInstance.push(mine);
  }
  return { count, first, perInstance, outside };
}

/** The lags of the fires of seconds `[from, to)` of the window. */
function lagsOf(calls: Calls, jobs: number, seconds: number, from: number, to: number) {
  const part: number[] = [];
  for (let job = 0; job < jobs; job++) {
    for (let k = from; k < to; k++) {
      const lag = calls.first[job * seconds + k] ?? Number.POSITIVE_INFINITY;
      if (lag !== Number.POSITIVE_INFINITY) part.push(lag);
    }
  }
  return lagFigures(part);
}

function tickFigures(files: string[], jobs: number, seconds: number, startAt: number): Figures {
  const calls = readCalls(files, jobs, seconds, startAt);
  let observed = 0;
  let duplicated = 0;
  const lags: number[] = [];
  calls.count.forEach((c, key) => {
    if (c === 0) return;
    observed++;
    duplicated += c - 1;
    lags.push(calls.first[key] ?? Number.NaN);
  });
  // The whole run, its first second included.
  const f = lagFigures(lags);
  // Lag over the first and the last tenth of the window: it must not grow over the run.
  const tenth = Math.max(1, Math.floor(seconds / 10));
  const head = lagsOf(calls, jobs, seconds, 0, tenth);
  const tail = lagsOf(calls, jobs, seconds, seconds - tenth, seconds);
  // Without the first instant: a fresh instance holds 2 × concurrency until it has seen its handlers finish.
  const warm = lagsOf(calls, jobs, seconds, 1, seconds);
  return {
    expected: jobs * seconds,
    observed,
    missed: jobs * seconds - observed,
    duplicated,
    'lag p50': f['lag p50'],
    'lag p99': f['lag p99'],
    'lag max': f['lag max'],
    'first tenth p50/p99': `${head['lag p50']} / ${head['lag p99']}`,
    'last tenth p50/p99': `${tail['lag p50']} / ${tail['lag p99']}`,
    'after 1st s p50/p99': `${warm['lag p50']} / ${warm['lag p99']}`,
    'fires per instance': calls.perInstance.join(' / '),
    'outside window': calls.outside,
  };
}

export const tick: Workload = {
  name: 'tick',
  describe: (opts) =>
    `1,000 jobs every('1s'), one phase, 2 processes, ${opts.tickSeconds} s; lag = handler start − fire instant, ms; lag p50/p99/max: the whole run, its first second included`,
  key: 'lag p99',
  targets: [
    { figure: 'missed', op: '<=', value: 0, unit: '' },
    { figure: 'duplicated', op: '<=', value: 0, unit: '' },
    { figure: 'lag p99', op: '<=', value: 20, unit: ' ms' },
  ],
  runs: (opts) => opts.runs,
  shared: true,
  run: measure,
};
