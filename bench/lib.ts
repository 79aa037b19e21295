/**
 * Helpers shared by the bench runner (`run.ts`, its workloads) and its worker
 * processes (`worker.ts`): a sub-millisecond wall clock aligned to the
 * engine's clock, sleeps, percentiles, CPU time of processes from /proc,
 * profile markers, and the bulk submission of a burst.
 */
import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import { pino } from 'pino';
import type { JobDefinition, Scheduler } from '../src/index.js';

/** The logger of every bench scheduler: the figures, not the logs, are the output. */
export const silent = pino({ level: 'silent' });

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A sleep that does not keep the process alive (for deadlines raced against work). */
export const giveUpAfter = (ms: number) =>
  new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Epoch milliseconds with sub-millisecond resolution, aligned to `Date.now()`
 * (the engine's clock, which fire instants are expressed in). `calibrate()`
 * spins until `Date.now()` ticks over — at most 1 ms — and anchors the
 * monotonic `performance.now()` there, so the offset is exact to a few µs
 * (`performance.timeOrigin` alone can be off by a millisecond and drifts from
 * the wall clock over a long process).
 */
export class WallClock {
  private offset = performance.timeOrigin;

  constructor() {
    this.calibrate();
  }

  calibrate(): void {
    const before = Date.now();
    let now = before;
    while (now === before) now = Date.now();
    this.offset = now - performance.now();
  }

  now(): number {
    return this.offset + performance.now();
  }
}

/** The `p`th percentile of sorted values (nearest rank); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

/** min / p50 / p99 / max of lags in ms, rounded to 0.01 ms. */
export function lagFigures(lags: readonly number[]): {
  'lag min': number;
  'lag p50': number;
  'lag p99': number;
  'lag max': number;
} {
  const sorted = Float64Array.from(lags).sort();
  const list = Array.from(sorted);
  return {
    'lag min': round2(list[0] ?? Number.NaN),
    'lag p50': round2(percentile(list, 50)),
    'lag p99': round2(percentile(list, 99)),
    'lag max': round2(list.at(-1) ?? Number.NaN),
  };
}

export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** CPU time (user + system, ms) of processes from /proc; a pid that is gone is left out. */
export function procCpuMs(pids: readonly number[]): Map<number, number> {
  const TICK_MS = 10; // USER_HZ is 100 on Linux
  const times = new Map<number, number>();
  for (const pid of pids) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      times.set(pid, (Number(fields[11]) + Number(fields[12])) * TICK_MS);
    } catch {
      // exited, or no /proc
    }
  }
  return times;
}

/** CPU ms used between two {@link procCpuMs} readings (processes born meanwhile count from 0). */
export function cpuUsedMs(before: Map<number, number>, after: Map<number, number>): number {
  let used = 0;
  for (const [pid, ms] of after) used += ms - (before.get(pid) ?? 0);
  return used;
}

/**
 * CPU ms this process's threads have run, from the scheduler's own count
 * (`/proc/self/task/<tid>/schedstat`, ns; Linux): the main thread's, and all
 * of them (V8's GC helpers and any worker included). NaN without `/proc`.
 * Unlike wall time, it does not count the time other processes held the cores.
 */
export function threadCpuMs(): { main: number; all: number } {
  const ran = (tid: string) =>
    Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  try {
    let all = 0;
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        all += ran(tid);
      } catch {
        // the thread ended meanwhile
      }
    }
    return { main: ran(String(process.pid)), all };
  } catch {
    return { main: Number.NaN, all: Number.NaN };
  }
}

/** The monotonic clock of `node --cpu-prof` profiles (µs), for profile window markers. */
export function hrtimeUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** A busy window of one run, written for the profile analysis (`--marks=FILE`). */
export interface Mark {
  workload: string;
  store: string;
  run: number;
  /** Profile clock (µs, see {@link hrtimeUs}). */
  startUs: number;
  endUs: number;
  /** Fires in the window. */
  fires: number;
  /** CPU of this process and of the store's server processes over the window, when known. */
  instanceCpuMs?: number;
  storeCpuMs?: number;
}

export function writeMark(file: string | undefined, mark: Mark): void {
  if (file) appendFileSync(file, `${JSON.stringify(mark)}\n`);
}

/**
 * Submits the definitions through the bulk API in one `submitJobs` call (one
 * store transaction). Returns how, for the table.
 */
export async function submitAll(
  scheduler: Scheduler,
  definitions: JobDefinition[],
): Promise<string> {
  await scheduler.submitJobs(definitions);
  return 'submitJobs, one call';
}
