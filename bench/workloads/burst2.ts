/**
 * burst2: the burst on two processes — do the live instances share it?
 *
 * Two scheduler processes (`worker.ts`, each concurrency 2,000 and prefetch
 * 10,000 as the one-process burst) on one fresh store (a SQLite file or a
 * Postgres schema; not the memory store, which lives in one process). Both
 * are started and registered first: each says it is ready only once the
 * store lists both and a sign of life of its own has answered with both, so
 * its fair share is in force. Then instance 0 submits 10,000 one-shot jobs
 * (`submitJobs`, batches of 1,000), all due at one instant T far enough ahead
 * for the submission and the planning horizon. What is measured is the
 * steady two-instance state, not their start-up.
 *
 * Per instance (`0 / 1`): the share of the burst it started (%), lag p50/p99
 * of its starts (handler start − T), its last start − T, and its last outcome
 * recorded − T (the instant its `execution:succeeded` event came: the finish
 * write had returned, so the store held the outcome). Over both: the same
 * figures, jobs started, and starts duplicated.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { giveUpAfter, lagFigures, round1, sleep, type WallClock } from '../lib.js';
import type { SharedTarget, StoreCase } from '../stores.js';
import { startWorker, type WorkerHandle } from '../worker-handle.js';
import type { WorkerStopped } from '../worker.js';
import type { Figures, RunContext, Workload } from '../workload.js';
import { burstInstant } from './burst.js';

const JOBS = 10_000;
const PROCESSES = 2;
/** How often the parent asks the workers how far they are. */
const POLL_MS = 250;
/** Longest wait for both workers to be registered and ready. */
const READY_MS = 60_000;

/** The last submit time measured per store, for the next run's lead. */
const lastSubmitMs = new Map<string, number>();

/** The two instances, each recording its starts to `<dir>/starts-<k>.csv`. */
function startWorkers(target: SharedTarget, dir: string): WorkerHandle[] {
  return Array.from({ length: PROCESSES }, (_, k) =>
    startWorker({
      ...target.config,
      instanceId: `burst2-${k}`,
      out: join(dir, `starts-${k}.csv`),
      concurrency: 2_000,
      prefetch: JOBS,
      peers: PROCESSES,
      outcomes: true,
    }),
  );
}

/** Resolves once every worker is ready; rejects if one exits first or they take over a minute. */
async function allReady(workers: WorkerHandle[]): Promise<void> {
  const late = giveUpAfter(READY_MS).then(() => {
    throw new Error(`the workers were not ready within ${READY_MS / 1000} s`);
  });
  await Promise.race([Promise.all(workers.map((w) => w.ready)), late]);
}

/** Submits the burst through instance 0; T and when the submission was done. */
async function submit(storeCase: StoreCase, submitter: WorkerHandle, wall: WallClock) {
  const submitStart = wall.now();
  const t = burstInstant(storeCase, lastSubmitMs.get(storeCase.name), submitStart);
  const { via } = await submitter.submit('burst2-', JOBS, t);
  const submitEnd = wall.now();
  lastSubmitMs.set(storeCase.name, submitEnd - submitStart);
  return { t, via, submitMs: submitEnd - submitStart, submitEnd };
}

/** Waits from T until every outcome is recorded, or 30 s past T. */
async function awaitOutcomes(workers: WorkerHandle[], t: number): Promise<void> {
  await sleep(Math.max(0, t - Date.now()));
  const deadline = t + 30_000;
  while (Date.now() < deadline) {
    const progress = await Promise.all(workers.map((w) => w.progress()));
    if (progress.reduce((sum, p) => sum + p.succeeded, 0) >= JOBS) return;
    await sleep(POLL_MS);
  }
}

async function stopWorkers(workers: WorkerHandle[]): Promise<WorkerStopped[]> {
  for (const w of workers) w.stop();
  const stats = await Promise.all(workers.map((w) => w.stopped));
  await Promise.all(workers.map((w) => w.exited));
  return stats;
}

async function measure(storeCase: StoreCase, { wall }: RunContext): Promise<Figures> {
  if (!storeCase.sharedTarget) throw new Error(`${storeCase.name} cannot be shared by processes`);
  const target = await storeCase.sharedTarget();
  const dir = mkdtempSync(join(tmpdir(), 'chime-bench-burst2-'));
  const workers = startWorkers(target, dir);
  try {
    await allReady(workers);
    const [submitter] = workers;
    if (!submitter) throw new Error('no worker');
    const { t, via, submitMs, submitEnd } = await submit(storeCase, submitter, wall);
    await awaitOutcomes(workers, t);
    const stats = await stopWorkers(workers);
    const records = workers.map((_, k) => readFileSync(join(dir, `starts-${k}.csv`), 'utf8'));
    return {
      jobs: JOBS,
      ...burst2Figures(records, stats, t),
      'submit ms': Math.round(submitMs),
      'T − submit end ms': Math.round(t - submitEnd),
      errors: stats.reduce((sum, s) => sum + s.errors, 0),
      'submitted by': `instance 0, ${via}`,
    };
  } finally {
    for (const w of workers) w.kill();
    rmSync(dir, { recursive: true, force: true });
    await target.cleanup();
  }
}

/** One instance's starts: the job indices and the lags (start − T). */
function readStarts(text: string, t: number): { jobs: number[]; lags: number[] } {
  const jobs: number[] = [];
  const lags: number[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [job, , start] = line.split(',').map(Number) as [number, number, number];
    jobs.push(job);
    lags.push(start - t);
  }
  return { jobs, lags };
}

/** `a / b`, one value per instance. */
const perInstance = (values: number[]) =>
  values.map((v) => (Number.isNaN(v) ? 'n/a' : String(v))).join(' / ');

function burst2Figures(records: string[], stats: WorkerStopped[], t: number): Figures {
  const starts = records.map((text) => readStarts(text, t));
  const lags = starts.map((s) => lagFigures(s.lags));
  const all = lagFigures(starts.flatMap((s) => s.lags));
  const calls = starts.reduce((sum, s) => sum + s.jobs.length, 0);
  const started = new Set(starts.flatMap((s) => s.jobs)).size;
  const shares = starts.map((s) => round1((s.jobs.length / JOBS) * 100));
  const recorded = stats.map((s) => Math.round(s.lastDoneAt - t));
  return {
    started,
    duplicated: calls - started,
    'share % per instance': perInstance(shares),
    'share min %': Math.min(...shares),
    'share max %': Math.max(...shares),
    'lag p50': all['lag p50'],
    'lag p99': all['lag p99'],
    'last start − T': all['lag max'],
    'last recorded − T': Math.max(...recorded),
    'lag p50 per instance': perInstance(lags.map((f) => f['lag p50'])),
    'lag p99 per instance': perInstance(lags.map((f) => f['lag p99'])),
    'last start − T per instance': perInstance(lags.map((f) => f['lag max'])),
    'last recorded − T per instance': perInstance(recorded),
  };
}

export const burst2: Workload = {
  name: 'burst2',
  describe: () =>
    '10,000 one-shot jobs due at one instant T, 2 processes registered before the submission, each concurrency 2,000, prefetch 10,000; lag = handler start − T, ms; recorded = outcome in the store; per instance: 0 / 1',
  key: 'last start − T',
  targets: [
    { figure: 'share min %', op: '>=', value: 35, unit: ' %' },
    { figure: 'share max %', op: '<=', value: 65, unit: ' %' },
    { figure: 'duplicated', op: '<=', value: 0, unit: '' },
  ],
  runs: (opts) => opts.runs,
  shared: true,
  run: measure,
};
