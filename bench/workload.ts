/**
 * What a bench workload is: its name, the heading of its table, the figure
 * its runs are ranked by, its targets, and the function that runs it once on
 * a fresh store and returns its figures. One workload per file under
 * `workloads/`; `run.ts` runs them in its order.
 */
import { createScheduler, type Scheduler } from '../src/index.js';
import type { Baselines } from './baseline.js';
import { silent, type WallClock } from './lib.js';
import type { Made, StoreCase } from './stores.js';

/** One run's figures by column name; strings are shown as they are. */
export type Figures = Record<string, number | string>;

/** The command line (see `run.ts`). */
export interface Options {
  only: string[];
  stores: string[];
  runs: number;
  idleRuns: number;
  tickSeconds: number;
  idleSeconds: number;
  tickConcurrency: number | undefined;
  json: boolean;
  marks: string | undefined;
  /** Internal: run one workload in this (child) process and print its figures as JSON. */
  child: string | undefined;
}

/** What a workload run knows besides its store. */
export interface RunContext {
  opts: Options;
  run: number;
  wall: WallClock;
  /** The machine's pace in this run (`baseline.ts`). */
  baselines: Baselines;
}

/** `perSecond` as a ratio to the store's baseline UPDATE rate of this run ('n/a' without one). */
export function ofBaseline(
  perSecond: number,
  store: string,
  baselines: Baselines,
): number | string {
  const base =
    store === 'postgres'
      ? baselines.postgresTps
      : store === 'sqlite'
        ? baselines.sqliteTps
        : undefined;
  return base ? Math.round((perSecond / base) * 100) / 100 : 'n/a';
}

/** A target of an issue, checked against the median figures (never asserted). */
export interface Target {
  figure: string;
  op: '<=' | '>=';
  value: number;
  /** The stores it applies to (absent: every store). */
  stores?: string[];
  unit: string;
}

export interface Workload {
  /** Its id in `--only=` and in the table. */
  name: string;
  /** The table's heading after the id. */
  describe: (opts: Options) => string;
  /** The figure a run is ranked by (string figures come from the median run by it). */
  key: string;
  targets: Target[];
  /** Runs per store. */
  runs: (opts: Options) => number;
  /** It needs a store that several processes share (not the memory store). */
  shared?: boolean;
  run: (storeCase: StoreCase, ctx: RunContext) => Promise<Figures>;
}

export const DAY_MS = 86_400_000;

/** The scheduler's default horizon: planning of an instant starts this long before it. */
export const HORIZON_MS = 2_000;

/**
 * Runs `body` with a started scheduler on a fresh store whose handler records,
 * per execution, its lag (start − fire instant, ms) and its start (wall ms).
 */
export async function withScheduler<T>(
  storeCase: StoreCase,
  limits: { concurrency: number; prefetch?: number },
  wall: WallClock,
  body: (s: Scheduler, lags: Map<string, number>, made: Made, last: () => number) => Promise<T>,
): Promise<T> {
  const made = await storeCase.make();
  const lags = new Map<string, number>();
  let lastStart = Number.NaN;
  const scheduler = createScheduler({ store: made.store, logger: silent, ...limits });
  scheduler.setHandler((ctx) => {
    lastStart = wall.now();
    lags.set(ctx.executionId, lastStart - ctx.fireAt.getTime());
  });
  try {
    await scheduler.start();
    return await body(scheduler, lags, made, () => lastStart);
  } finally {
    await scheduler.stop();
    await made.cleanup();
  }
}
