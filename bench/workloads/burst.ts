/**
 * burst: 10,000 one-shot jobs submitted ahead and all due at one instant T,
 * on one scheduler (concurrency 2,000, prefetch 10,000: the instance may
 * claim the whole burst ahead of T); the submit time (one `submitJobs`
 * call), lag of each start (handler start − T), last start − T, and last
 * outcome recorded − T. Its two-process twin is `burst2.ts`.
 */
import { once, type Scheduler } from '../../src/index.js';
import {
  cpuUsedMs,
  hrtimeUs,
  lagFigures,
  procCpuMs,
  sleep,
  submitAll,
  threadCpuMs,
  writeMark,
  type WallClock,
} from '../lib.js';
import type { Made, StoreCase } from '../stores.js';
import {
  HORIZON_MS,
  withScheduler,
  type Figures,
  type RunContext,
  type Workload,
} from '../workload.js';

const JOBS = 10_000;

/** The last submit time measured per store, for the next burst run's lead. */
const burstSubmitMs = new Map<string, number>();

/**
 * The instant T of a burst whose submission starts now: time for the
 * submission (1.5 × the last one measured, or the store's first guess), the
 * planning horizon, and a second.
 */
export function burstInstant(storeCase: StoreCase, lastSubmitMs: number | undefined, now: number) {
  const guess = lastSubmitMs ?? storeCase.burstSubmitGuessMs;
  return Math.ceil(now + guess * 1.5 + HORIZON_MS + 1_000);
}

/** CPU of this process and of the store's server processes from `startAt` (wall ms) on. */
function cpuFrom(wall: WallClock, startAt: number, made: Made) {
  let cpuStart: NodeJS.CpuUsage | undefined;
  let serverStart = new Map<number, number>();
  let pids: number[] = [];
  const sampler = setTimeout(
    () => {
      cpuStart = process.cpuUsage();
      serverStart = procCpuMs(pids);
    },
    Math.max(0, startAt - wall.now()),
  );
  const ready = made.serverPids().then((found) => void (pids = found));
  return {
    ready,
    /** Ends the window: instance CPU (when it began), the server's CPU, and whether it has any. */
    end: async () => {
      clearTimeout(sampler);
      const cpu = cpuStart ? process.cpuUsage(cpuStart) : undefined;
      const serverMs = cpuUsedMs(serverStart, procCpuMs(await made.serverPids()));
      return { cpu, serverMs, hasServer: pids.length > 0 };
    },
  };
}

async function measure(storeCase: StoreCase, { wall, run, opts }: RunContext): Promise<Figures> {
  const limits = { concurrency: 2_000, prefetch: JOBS };
  return withScheduler(storeCase, limits, wall, async (scheduler, lags, made, lastStart) => {
    let lastRecorded = Number.NaN;
    let recorded = 0;
    let cpuAtT = { main: Number.NaN, all: Number.NaN };
    let cpuAtLast = cpuAtT;
    // Emitted once the finish write has returned: the outcome is recorded in the store.
    scheduler.on('execution:succeeded', () => {
      lastRecorded = wall.now();
      if (++recorded === JOBS) cpuAtLast = threadCpuMs();
    });
    const submitStart = wall.now();
    const t = burstInstant(storeCase, burstSubmitMs.get(storeCase.name), submitStart);
    // Read just before T: the engine's dispatch at T may otherwise run first, in the same turn.
    const atT = setTimeout(() => void (cpuAtT = threadCpuMs()), t - 20 - wall.now());
    const hrAtT = hrtimeUs() + (t - wall.now()) * 1000;
    const { via, submitEnd } = await submitBurst(scheduler, t, wall);
    const submitMs = submitEnd - submitStart;
    burstSubmitMs.set(storeCase.name, submitMs);
    // CPU over the busy window: from half a second before planning starts to the last start.
    const window = cpuFrom(wall, t - HORIZON_MS - 500, made);
    await window.ready;
    const deadline = t + 30_000;
    while (recorded < JOBS && Date.now() < deadline) await sleep(5);
    clearTimeout(atT);
    const { cpu, serverMs, hasServer } = await window.end();
    writeMark(opts.marks, {
      workload: 'burst',
      store: storeCase.name,
      run,
      startUs: hrAtT - (HORIZON_MS + 500) * 1000,
      endUs: hrAtT + (lastStart() - t) * 1000,
      fires: lags.size,
      ...(cpu ? { instanceCpuMs: (cpu.user + cpu.system) / 1000 } : {}),
      ...(hasServer ? { storeCpuMs: serverMs } : {}),
    });
    // The window the target measures: T to the last outcome recorded.
    writeMark(opts.marks, {
      workload: 'burst-end',
      store: storeCase.name,
      run,
      startUs: hrAtT,
      endUs: hrAtT + (lastRecorded - t) * 1000,
      fires: recorded,
    });
    const f = lagFigures([...lags.values()]);
    return {
      jobs: JOBS,
      started: lags.size,
      'submit ms': Math.round(submitMs),
      'submit jobs/s': Math.round(JOBS / (submitMs / 1000)),
      'T − submit end ms': Math.round(t - submitEnd),
      ...f,
      'last start − T': f['lag max'],
      'last recorded − T': Math.round(lastRecorded - t),
      // The CPU that window took, which the machine's other work does not stretch.
      'main CPU ms T→last': Math.round(cpuAtLast.main - cpuAtT.main),
      'all CPU ms T→last': Math.round(cpuAtLast.all - cpuAtT.all),
      'submitted by': via,
    };
  });
}

/** Submits the burst's jobs, all due at `t`. */
async function submitBurst(scheduler: Scheduler, t: number, wall: WallClock) {
  const definitions = Array.from({ length: JOBS }, (_, i) => ({
    id: `burst-${i}`,
    schedule: once(new Date(t)),
  }));
  const via = await submitAll(scheduler, definitions);
  return { via, submitEnd: wall.now() };
}

export const burst: Workload = {
  name: 'burst',
  describe: () =>
    '10,000 one-shot jobs due at one instant T, concurrency 2,000, prefetch 10,000; lag = handler start − T, ms',
  key: 'last start − T',
  targets: [
    { figure: 'last recorded − T', op: '<=', value: 150, stores: ['sqlite'], unit: ' ms' },
    { figure: 'last recorded − T', op: '<=', value: 300, stores: ['postgres'], unit: ' ms' },
    { figure: 'submit ms', op: '<=', value: 300, stores: ['postgres'], unit: ' ms' },
    { figure: 'lag min', op: '<=', value: 2, stores: ['sqlite', 'postgres'], unit: ' ms' },
  ],
  runs: (opts) => opts.runs,
  run: measure,
};
