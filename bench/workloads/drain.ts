/**
 * drain: 20,000 executions already due (manual triggers inserted through the
 * store), concurrency 50, a no-op handler; throughput from the first handler
 * start to the last outcome recorded in the store (the `execution:succeeded`
 * event, emitted once the finish write returned), and CPU per job of the
 * instance and of the store's server; the same throughput as a ratio to the
 * run's baseline UPDATE rate, and the statements, rows and (Postgres) WAL
 * bytes written per fire, from the scheduler's start to its stop.
 */
import { createScheduler, once, type Store } from '../../src/index.js';
import { newJobRecord } from '../../src/scheduler/job-records.js';
import type { ExecutionRecord } from '../../src/stores/store.js';
import { newExecution } from '../../src/stores/records.js';
import {
  cpuUsedMs,
  giveUpAfter,
  hrtimeUs,
  procCpuMs,
  round1,
  round2,
  silent,
  writeMark,
} from '../lib.js';
import { insertJobs, type Made, type StoreCase } from '../stores.js';
import { writeCostPer } from '../write-cost.js';
import { DAY_MS, ofBaseline, type Figures, type RunContext, type Workload } from '../workload.js';

const N = 20_000;

/**
 * Puts `n` due executions in the store before any scheduler runs: 20 jobs
 * whose own fire is a year away, and `n` manual triggers of them (what
 * `triggerJob` inserts) due within the last minute, unleased.
 */
async function insertDue(made: Made, n: number): Promise<void> {
  const JOBS = 20;
  const now = Date.now();
  const far = now + 365 * DAY_MS;
  const template = newJobRecord('drain', { id: 'drain', schedule: once(new Date(far)) }, now);
  await insertJobs(
    made.store,
    Array.from({ length: JOBS }, (_, j) => ({ ...template, id: `drain-${j}` })),
  );
  const trigger = newExecution({
    id: 'trigger',
    jobId: 'drain-',
    fireAt: now - 60_000,
    runAt: now - 60_000,
    now,
    trigger: 'manual',
  });
  await made.insertExecutions(trigger, n, JOBS);
}

/** Every execution in the store (a page at a time). */
async function allExecutions(store: Store): Promise<ExecutionRecord[]> {
  const all: ExecutionRecord[] = [];
  let before: { fireAt: number; id: string } | undefined;
  for (;;) {
    const page = await store.executionsList({ limit: 1_000, ...(before ? { before } : {}) });
    all.push(...page);
    const last = page.at(-1);
    if (page.length < 1_000 || !last) return all;
    before = { fireAt: last.fireAt, id: last.id };
  }
}

/** A scheduler on `made` that notes its first start and its last outcome recorded. */
function drainingScheduler(made: Made, { wall }: RunContext) {
  const scheduler = createScheduler({ store: made.store, logger: silent, concurrency: 50 });
  const seen = { started: 0, firstStart: Number.NaN, succeeded: 0, lastDone: Number.NaN };
  let cpuAtEnd: NodeJS.CpuUsage | undefined;
  let done: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (done = resolve));
  scheduler.setHandler(() => {
    if (seen.started++ === 0) seen.firstStart = wall.now();
  });
  // Emitted once the finish write has returned: the outcome is recorded in the store.
  scheduler.on('execution:succeeded', () => {
    seen.lastDone = wall.now();
    if (++seen.succeeded === N) {
      cpuAtEnd = process.cpuUsage();
      done();
    }
  });
  return { scheduler, seen, allDone, cpuAtEnd: () => cpuAtEnd };
}

async function measure(storeCase: StoreCase, ctx: RunContext): Promise<Figures> {
  const { wall, run, opts } = ctx;
  const made = await storeCase.make();
  const { scheduler, seen, allDone, cpuAtEnd } = drainingScheduler(made, ctx);
  try {
    await made.store.open();
    const insertStart = performance.now();
    await insertDue(made, N);
    const insertMs = performance.now() - insertStart;
    const pids = await made.serverPids();
    const writesBefore = await made.writes(false);
    const serverBefore = procCpuMs(pids);
    const cpuBefore = process.cpuUsage();
    const wallRef = wall.now();
    const hrRef = hrtimeUs();
    await scheduler.start();
    await Promise.race([allDone, giveUpAfter(120_000)]);
    const serverMs = cpuUsedMs(serverBefore, procCpuMs(await made.serverPids()));
    const end = cpuAtEnd() ?? process.cpuUsage();
    const instanceMs = (end.user - cpuBefore.user + end.system - cpuBefore.system) / 1000;
    const spanMs = seen.lastDone - seen.firstStart;
    writeMark(opts.marks, {
      workload: 'drain',
      store: storeCase.name,
      run,
      startUs: hrRef + (seen.firstStart - wallRef) * 1000,
      endUs: hrRef + (seen.lastDone - wallRef) * 1000,
      fires: seen.succeeded,
      instanceCpuMs: instanceMs,
      ...(pids.length > 0 ? { storeCpuMs: serverMs } : {}),
    });
    const inStore = (await allExecutions(made.store)).filter((e) => e.status === 'succeeded');
    await scheduler.stop();
    const writesAfter = await made.writes(true);
    const perSecond = Math.round(seen.succeeded / (spanMs / 1000));
    return {
      executions: N,
      'insert s': round1(insertMs / 1000),
      'succeeded in store': inStore.length,
      'first start → last recorded s': round2(spanMs / 1000),
      'jobs/s': perSecond,
      '÷ baseline': ofBaseline(perSecond, storeCase.name, ctx.baselines),
      ...writeCostPer(writesBefore, writesAfter, N),
      'instance CPU µs/job': Math.round((instanceMs * 1000) / N),
      'store CPU µs/job': pids.length > 0 ? Math.round((serverMs * 1000) / N) : 'in-process',
    };
  } finally {
    await scheduler.stop();
    await made.cleanup();
  }
}

export const drain: Workload = {
  name: 'drain',
  describe: () =>
    '20,000 executions due now, concurrency 50, no-op handler; first start → last recorded',
  key: 'jobs/s',
  targets: [
    { figure: '÷ baseline', op: '>=', value: 2, stores: ['postgres'], unit: '' },
    { figure: 'jobs/s', op: '>=', value: 50_000, stores: ['sqlite'], unit: '' },
  ],
  runs: (opts) => opts.runs,
  run: measure,
};
