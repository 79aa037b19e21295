/**
 * chime's benchmarks: fire lag per store. Prints a table and exits; never asserts.
 *
 *   npm run bench              # every workload on every store
 *   npm run bench -- --json    # the same as JSON
 *
 * lone:  100 sequential one-shot fires on an otherwise idle store; lag = handler start − fire instant.
 * burst: 10,000 one-shot jobs all due at the same instant T; lag of each start, and last start − T.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  createScheduler,
  memoryStore,
  once,
  sqliteStore,
  type Scheduler,
  type Store,
} from '../src/index.js';

interface StoreCase {
  name: string;
  make: () => { store: Store; cleanup: () => void };
}

const STORES: StoreCase[] = [
  { name: 'memory', make: () => ({ store: memoryStore(), cleanup: () => undefined }) },
  {
    name: 'sqlite',
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), 'chime-bench-'));
      return {
        store: sqliteStore({ path: join(dir, 'bench.db') }),
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
];

interface Row {
  workload: string;
  store: string;
  figures: Record<string, number | string>;
}

const silent = pino({ level: 'silent' });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function lagFigures(lags: number[]): { min: number; p50: number; p99: number; max: number } {
  const sorted = [...lags].sort((a, b) => a - b);
  return {
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

async function withScheduler<T>(
  storeCase: StoreCase,
  concurrency: number,
  body: (s: Scheduler, starts: Map<string, number>) => Promise<T>,
): Promise<T> {
  const { store, cleanup } = storeCase.make();
  const starts = new Map<string, number>();
  const scheduler = createScheduler({ store, logger: silent, concurrency });
  scheduler.setHandler((ctx) => {
    starts.set(ctx.executionId, performance.timeOrigin + performance.now() - ctx.fireAt.getTime());
  });
  await scheduler.start();
  try {
    return await body(scheduler, starts);
  } finally {
    await scheduler.stop();
    cleanup();
  }
}

async function lone(storeCase: StoreCase): Promise<Row> {
  const lags = await withScheduler(storeCase, 10, async (scheduler, starts) => {
    for (let i = 0; i < 100; i++) {
      await scheduler.submitJob({ id: `lone-${i}`, schedule: once(new Date(Date.now() + 30)) });
      while (starts.size <= i) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return [...starts.values()];
  });
  return {
    workload: 'lone',
    store: storeCase.name,
    figures: { fires: lags.length, ...lagFigures(lags) },
  };
}

async function burst(storeCase: StoreCase): Promise<Row> {
  const JOBS = 10_000;
  return withScheduler(storeCase, 2_000, async (scheduler, starts) => {
    const t = Math.ceil((Date.now() + 20_000) / 1000) * 1000;
    const submitStart = performance.now();
    for (let i = 0; i < JOBS; i++)
      await scheduler.submitJob({ id: `burst-${i}`, schedule: once(new Date(t)) });
    const submitMs = performance.now() - submitStart;
    const deadline = t + 30_000;
    while (starts.size < JOBS && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const lags = [...starts.values()];
    const f = lagFigures(lags);
    return {
      workload: 'burst',
      store: storeCase.name,
      figures: {
        jobs: JOBS,
        started: lags.length,
        'submit ms': Math.round(submitMs),
        'jobs/s submitted': Math.round(JOBS / (submitMs / 1000)),
        ...f,
        'last start − T': f.max,
      },
    };
  });
}

function printTable(rows: Row[]): void {
  for (const workload of [...new Set(rows.map((r) => r.workload))]) {
    const group = rows.filter((r) => r.workload === workload);
    const columns = [...new Set(group.flatMap((r) => Object.keys(r.figures)))];
    const header = ['store', ...columns];
    const lines = group.map((r) => [r.store, ...columns.map((c) => format(r.figures[c]))]);
    const widths = header.map((h, i) =>
      Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)),
    );
    console.log(`\n${workload} (lag in ms)`);
    console.log(header.map((h, i) => h.padEnd(widths[i] ?? 0)).join('  '));
    for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
  }
}

function format(value: number | string | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

const rows: Row[] = [];
for (const storeCase of STORES) {
  rows.push(await lone(storeCase));
  rows.push(await burst(storeCase));
}
if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 2));
else printTable(rows);
