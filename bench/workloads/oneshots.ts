/**
 * oneshots: 20,000 one-shot jobs submitted in one `submitJobs` call, all due
 * at once, and run by one scheduler (concurrency 50, a no-op handler) — the
 * whole life of a job: its submission, its plan, its run, its outcome.
 * Reports the submit time, the throughput from the first handler start to
 * the last outcome recorded (and as a ratio to the run's baseline UPDATE
 * rate), and what all of it wrote per job: statements, rows and, on
 * Postgres, WAL bytes (issue 16's write costs, which do not drift).
 */
import { once } from '../../src/index.js';
import { giveUpAfter, round2 } from '../lib.js';
import type { StoreCase } from '../stores.js';
import {
  ofBaseline,
  withScheduler,
  type Figures,
  type RunContext,
  type Workload,
} from '../workload.js';
import { writeCostPer } from '../write-cost.js';

const JOBS = 20_000;

async function measure(storeCase: StoreCase, ctx: RunContext): Promise<Figures> {
  const { wall, baselines } = ctx;
  return withScheduler(storeCase, { concurrency: 50 }, wall, async (scheduler, lags, made) => {
    let first = Number.NaN;
    let last = Number.NaN;
    let succeeded = 0;
    let done: () => void = () => undefined;
    const allDone = new Promise<void>((resolve) => (done = resolve));
    scheduler.on('execution:started', () => {
      if (Number.isNaN(first)) first = wall.now();
    });
    scheduler.on('execution:succeeded', () => {
      last = wall.now();
      if (++succeeded === JOBS) done();
    });
    const before = await made.writes(false);
    const at = new Date(wall.now());
    const definitions = Array.from({ length: JOBS }, (_, i) => ({
      id: `once-${i}`,
      schedule: once(at),
    }));
    const submitStart = wall.now();
    await scheduler.submitJobs(definitions);
    const submitMs = wall.now() - submitStart;
    await Promise.race([allDone, giveUpAfter(180_000)]);
    await scheduler.stop();
    const after = await made.writes(true);
    const perSecond = Math.round(succeeded / ((last - first) / 1000));
    return {
      jobs: JOBS,
      succeeded,
      'submit ms': Math.round(submitMs),
      'first start → last recorded s': round2((last - first) / 1000),
      'jobs/s': perSecond,
      '÷ baseline': ofBaseline(perSecond, storeCase.name, baselines),
      ...writeCostPer(before, after, JOBS),
      started: lags.size,
    };
  });
}

export const oneshots: Workload = {
  name: 'oneshots',
  describe: () =>
    '20,000 one-shot jobs submitted in one call, due at once, concurrency 50; what the whole life of a job costs',
  key: 'jobs/s',
  targets: [{ figure: 'WAL B/job', op: '<=', value: 1_000, stores: ['postgres'], unit: ' B' }],
  runs: (opts) => opts.runs,
  run: measure,
};
