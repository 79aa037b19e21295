/**
 * chime's benchmarks, per store (issues 7 and 14). Prints a table per workload
 * — the median of N runs, with the issues' targets met or missed — and exits;
 * never asserts. Every run gets a fresh store: its own temporary SQLite file,
 * its own Postgres schema or NATS bucket prefix (dropped afterwards), a new memory store.
 *
 *   npm run bench                                         # every workload on every store (~13 min)
 *   npm run bench -- --only=drain,idle --stores=postgres  # a selection
 *   npm run bench -- --runs=1 --tick-seconds=10           # a quick pass
 *   npm run bench -- --json                               # the same as JSON, with every run
 *
 * Flags: `--only=` workloads, `--stores=` stores, `--runs=N` (default 3; the
 * table shows the median of each figure), `--idle-runs=N` (default 1, see
 * idle), `--tick-seconds=N` (default 60), `--idle-seconds=N` (default 30),
 * `--tick-concurrency=N` (default: the library's, 50), `--json`,
 * `--marks=FILE` (append each run's busy window, on the `--cpu-prof` clock,
 * for profile analysis; see docs/performance.md).
 *
 * The workloads, one per file under `workloads/` (each file's comment says
 * what it measures):
 *
 * lone:   100 sequential one-shot fires on an otherwise idle store.
 * burst:  10,000 one-shot jobs submitted ahead, all due at one instant T, on one scheduler.
 * burst2: the same burst on two scheduler processes sharing one store, both registered
 *         before the submission: the share of the burst each started, lags, last start
 *         and last outcome recorded. Not on the memory store.
 * drain:  20,000 executions already due; throughput to the last outcome recorded, and
 *         statements, rows and (Postgres) WAL bytes written per fire.
 * oneshots: 20,000 one-shot jobs submitted in one call, due at once, and run: submit time,
 *         throughput, and what the whole of it wrote per job.
 * tick:   1,000 jobs `every('1s')`, two scheduler processes on one store, for
 *         --tick-seconds: missed, duplicated, lag over the whole run (the first second
 *         included), its tenths and after its first second. Not on the memory store.
 * idle:   100,000 jobs a month away, in a fresh process: store calls/s, CPU, RSS, heap/job, bytes/job.
 *
 * Every table heads with the machine's pace in the run (`baseline.ts`): throughputs are
 * also given as ratios to it, and write costs (statements, rows, WAL bytes) do not drift.
 * The stores are made in `stores.ts`; the processes of burst2 and tick are
 * `worker.ts`; the table is printed by `table.ts`.
 */
import { WallClock, round1 } from './lib.js';
import { describeBaselines, measureBaselines, type Baselines } from './baseline.js';
import { environment } from './environment.js';
import { STORES, storeCases, type StoreCase } from './stores.js';
import { checkTargets, medianFigures, type Result } from './summary.js';
import { printTable } from './table.js';
import type { Options, Workload } from './workload.js';
import { burst } from './workloads/burst.js';
import { burst2 } from './workloads/burst2.js';
import { drain } from './workloads/drain.js';
import { idle, idleHere } from './workloads/idle.js';
import { lone } from './workloads/lone.js';
import { oneshots } from './workloads/oneshots.js';
import { tick } from './workloads/tick.js';

/** Every workload, in the order they run and are printed. */
const WORKLOADS: readonly Workload[] = [lone, burst, burst2, drain, oneshots, tick, idle];

/** The value of `--name=value`, or undefined when the flag is absent. */
function flag(name: string): string | undefined {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg?.slice(name.length + 3);
}

function listFlag(name: string): string[] | undefined {
  return flag(name)?.split(',').filter(Boolean);
}

function intFlag(name: string, fallback: number): number {
  const text = flag(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a positive integer`);
  return value;
}

/** The names in `list` that are not in `known`. */
function unknownIn(list: string[], known: readonly string[]): string[] {
  return list.filter((name) => !known.includes(name));
}

function parseOptions(): Options {
  const names = WORKLOADS.map((w) => w.name);
  const only = listFlag('only') ?? names;
  const unknown = unknownIn(only, names);
  if (unknown.length > 0) throw new Error(`unknown workload(s): ${unknown.join(', ')}`);
  const stores = listFlag('stores') ?? [...STORES];
  const badStores = unknownIn(stores, STORES);
  if (badStores.length > 0) throw new Error(`unknown store(s): ${badStores.join(', ')}`);
  const tickConcurrency = flag('tick-concurrency');
  return {
    only,
    stores,
    runs: intFlag('runs', 3),
    idleRuns: intFlag('idle-runs', 1),
    tickSeconds: intFlag('tick-seconds', 60),
    idleSeconds: intFlag('idle-seconds', 30),
    tickConcurrency:
      tickConcurrency === undefined ? undefined : intFlag('tick-concurrency', Number.NaN),
    json: process.argv.includes('--json'),
    marks: flag('marks'),
    child: flag('child'),
  };
}

/** The runs of one workload on one store, summarised (or the note of why there are none). */
async function runWorkload(
  workload: Workload,
  storeCase: StoreCase,
  opts: Options,
  baselines: Baselines,
) {
  const result: Result = { workload: workload.name, store: storeCase.name, runs: [], targets: [] };
  if (workload.shared && !storeCase.sharedTarget) {
    result.note = 'n/a: the memory store lives in one process';
    return result;
  }
  const count = workload.runs(opts);
  for (let run = 1; run <= count; run++) {
    const started = performance.now();
    try {
      const ctx = { opts, run, wall: new WallClock(), baselines };
      result.runs.push(await workload.run(storeCase, ctx));
    } catch (err) {
      result.note = `run ${run} failed: ${err instanceof Error ? err.message : String(err)}`;
      console.warn(`${workload.name} on ${storeCase.name}: ${result.note}`);
      return result;
    }
    const seconds = round1((performance.now() - started) / 1000);
    console.warn(`${workload.name} on ${storeCase.name}, run ${run}/${count}: ${seconds} s`);
  }
  if (result.runs.length > 0) {
    result.median = medianFigures(workload, result.runs);
    result.targets = checkTargets(workload, storeCase.name, result.median);
  }
  return result;
}

/** The idle process that the idle workload starts: its figures as one JSON line. */
async function idleChild(opts: Options): Promise<void> {
  const { cases, notes } = await storeCases(opts.stores);
  const storeCase = cases[0];
  if (!storeCase) throw new Error(notes.join('; ') || 'no store for the idle process');
  console.log(JSON.stringify(await idleHere(storeCase, opts.idleSeconds)));
}

async function main(): Promise<void> {
  const opts = parseOptions();
  if (opts.child === 'idle') return idleChild(opts);
  const { cases, notes } = await storeCases(opts.stores);
  for (const note of notes) console.warn(note);
  const env = await environment();
  const baselines = await measureBaselines(cases.some((c) => c.name === 'postgres'));
  env.baseline = describeBaselines(baselines);
  const results: Result[] = [];
  const began = performance.now();
  for (const workload of WORKLOADS.filter((w) => opts.only.includes(w.name))) {
    for (const storeCase of cases)
      results.push(await runWorkload(workload, storeCase, opts, baselines));
  }
  console.warn(`total: ${round1((performance.now() - began) / 1000)} s`);
  if (opts.json) {
    console.log(JSON.stringify({ ...env, notes, options: opts, results }, null, 2));
  } else {
    printTable(results, WORKLOADS, opts, env);
    for (const note of notes) console.log(`\n${note}`);
  }
  // Whatever a failed run may have left open must not keep the process from exiting.
  setTimeout(() => process.exit(0), 2_000).unref();
}

await main();
