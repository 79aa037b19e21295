/**
 * chime's benchmarks, per store. Prints a table per workload and exits; never asserts.
 *
 *   npm run bench                                        # every workload on every store
 *   npm run bench -- --only=drain,idle --stores=postgres # a selection
 *   npm run bench -- --json                              # the same as JSON
 *
 * lone:  100 sequential one-shot fires on an otherwise idle store; lag = handler start − fire instant.
 * burst: 10,000 one-shot jobs all due at the same instant T; lag of each start, and last start − T.
 * drain: N executions already due (inserted through the store in batches), concurrency 50, a
 *        no-op handler; throughput from the first start to the last finish recorded in the store.
 * idle:  100,000 jobs whose fire is a month away; for 30 s: store calls per second (a Proxy counts
 *        them), CPU of this process and of its Postgres backends (/proc), RSS, bytes per job.
 *
 * Postgres: `CHIME_BENCH_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`); each
 * run uses a schema of its own, dropped afterwards. When it is unreachable, its cases are skipped
 * with a note.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import {
  createScheduler,
  memoryStore,
  once,
  postgresStore,
  sqliteStore,
  type Scheduler,
  type Store,
} from '../src/index.js';
import { newJobRecord } from '../src/scheduler/job-records.js';
import type { ExecutionRecord, JobRecord } from '../src/stores/store.js';

const DATABASE_URL =
  process.env['CHIME_BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const WORKLOADS = ['lone', 'burst', 'drain', 'idle'] as const;
type Workload = (typeof WORKLOADS)[number];
const DAY_MS = 86_400_000;

/** A store made fresh for one workload, with what only its backend can tell. */
interface Made {
  store: Store;
  cleanup: () => Promise<void>;
  /** Stored bytes per job (table and indexes, or the database file), after the jobs are in. */
  bytesPerJob: (jobs: number) => Promise<number | string>;
  /** The database server processes serving this store, for their CPU time. */
  serverPids: () => Promise<number[]>;
  /** Inserts `count` copies of `template` under ids `<prefix><i>`, the fastest way the backend allows. */
  insertJobs: (template: JobRecord, prefix: string, count: number) => Promise<void>;
}

interface StoreCase {
  name: string;
  /** Executions of the drain workload. */
  drainN: number;
  /** How long before T the burst's jobs are submitted (submission must end before T). */
  burstLeadMs: number;
  make: () => Promise<Made>;
}

interface Row {
  workload: Workload;
  store: string;
  figures: Record<string, number | string>;
}

const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Inserts through the public store API, a few at a time. */
async function insertThroughApi(
  store: Store,
  template: JobRecord,
  prefix: string,
  count: number,
): Promise<void> {
  const PARALLEL = 16;
  for (let i = 0; i < count; i += PARALLEL) {
    const ids = Array.from({ length: Math.min(PARALLEL, count - i) }, (_, k) => i + k);
    await Promise.all(
      ids.map((k) => store.jobInsert({ job: { ...template, id: `${prefix}${k}` } })),
    );
  }
}

const memoryCase: StoreCase = {
  name: 'memory',
  drainN: 50_000,
  burstLeadMs: 20_000,
  make: async () => {
    const store = memoryStore();
    return {
      store,
      cleanup: async () => undefined,
      bytesPerJob: async () => 'n/a',
      serverPids: async () => [],
      insertJobs: (template, prefix, count) => insertThroughApi(store, template, prefix, count),
    };
  },
};

const sqliteCase: StoreCase = {
  name: 'sqlite',
  drainN: 50_000,
  burstLeadMs: 20_000,
  make: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chime-bench-'));
    const path = join(dir, 'bench.db');
    const store = sqliteStore({ path });
    const fileBytes = () =>
      ['', '-wal'].reduce((sum, suffix) => {
        try {
          return sum + statSync(path + suffix).size;
        } catch {
          return sum;
        }
      }, 0);
    return {
      store,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      bytesPerJob: async (jobs) => Math.round(fileBytes() / jobs),
      serverPids: async () => [],
      insertJobs: (template, prefix, count) => insertThroughApi(store, template, prefix, count),
    };
  },
};

/** The Postgres case, or the reason it cannot run. */
async function postgresCase(): Promise<StoreCase | string> {
  const probe = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2_000 });
  try {
    await probe.connect();
  } catch (err) {
    return `postgres skipped: ${DATABASE_URL} is unreachable (${err instanceof Error ? err.message : String(err)})`;
  } finally {
    await probe.end().catch(() => undefined);
  }
  return { name: 'postgres', drainN: 50_000, burstLeadMs: 30_000, make: makePostgres };
}

async function makePostgres(): Promise<Made> {
  const schema = `chime_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  admin.on('error', () => undefined);
  const store = postgresStore({ connectionString: DATABASE_URL, schema, applicationName: schema });
  const table = `"${schema}".jobs`;
  return {
    store,
    cleanup: async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
    bytesPerJob: async (jobs) => {
      const { rows } = await admin.query<{ bytes: string }>(
        'SELECT pg_total_relation_size($1::regclass) AS bytes',
        [table],
      );
      return Math.round(Number(rows[0]?.bytes ?? 0) / jobs);
    },
    serverPids: async () => {
      const { rows } = await admin.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
        [schema],
      );
      return rows.map((row) => row.pid);
    },
    // One job through the store, the others copied from it by the database.
    insertJobs: async (template, prefix, count) => {
      await store.jobInsert({ job: { ...template, id: `${prefix}0` } });
      await admin.query(
        `INSERT INTO ${table} (id, definition, hash, paused, next_fire_at, version, created_at,
           updated_at, completed_at, last_outcome)
         SELECT $1 || g, definition, hash, paused, next_fire_at, version, created_at, updated_at,
           completed_at, last_outcome
         FROM ${table}, generate_series(1, $2::int - 1) AS g WHERE id = $1 || '0'`,
        [prefix, count],
      );
      await admin.query(`ANALYZE ${table}`);
    },
  };
}

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

/** Runs `body` with a started scheduler on a fresh store whose handler records start lags. */
async function withScheduler<T>(
  storeCase: StoreCase,
  concurrency: number,
  body: (s: Scheduler, starts: Map<string, number>) => Promise<T>,
): Promise<T> {
  const made = await storeCase.make();
  const starts = new Map<string, number>();
  const scheduler = createScheduler({ store: made.store, logger: silent, concurrency });
  scheduler.setHandler((ctx) => {
    starts.set(ctx.executionId, performance.timeOrigin + performance.now() - ctx.fireAt.getTime());
  });
  try {
    await scheduler.start();
    return await body(scheduler, starts);
  } finally {
    await scheduler.stop();
    await made.cleanup();
  }
}

async function lone(storeCase: StoreCase): Promise<Row> {
  const lags = await withScheduler(storeCase, 10, async (scheduler, starts) => {
    for (let i = 0; i < 100; i++) {
      await scheduler.submitJob({ id: `lone-${i}`, schedule: once(new Date(Date.now() + 30)) });
      while (starts.size <= i) await sleep(5);
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
    const t = Math.ceil((Date.now() + storeCase.burstLeadMs) / 1000) * 1000;
    const submitStart = performance.now();
    for (let i = 0; i < JOBS; i++)
      await scheduler.submitJob({ id: `burst-${i}`, schedule: once(new Date(t)) });
    const submitMs = performance.now() - submitStart;
    const deadline = t + 30_000;
    while (starts.size < JOBS && Date.now() < deadline) await sleep(20);
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

/** A scheduled, unleased execution of `jobId` due at `at`. */
function dueExecution(jobId: string, at: number, now: number, i: number): ExecutionRecord {
  return {
    id: `${jobId}-${String(i).padStart(6, '0')}`,
    jobId,
    fireAt: at,
    runAt: at,
    trigger: 'schedule',
    status: 'scheduled',
    attempt: 0,
    leaseOwner: null,
    leaseUntil: null,
    leaseToken: 0,
    attempts: [],
    onFailure: null,
    createdAt: now,
    startedAt: null,
    finishedAt: null,
  };
}

/**
 * Puts `n` due executions in the store: jobs whose own next fire is a year
 * away (the planner leaves them alone), each given 1,000 past fires by one
 * planning step — a batch insert every store has.
 */
async function insertDue(store: Store, n: number): Promise<void> {
  const PER_JOB = 1_000;
  const now = Date.now();
  const far = now + 365 * DAY_MS;
  const template = newJobRecord('drain', { id: 'drain', schedule: once(new Date(far)) }, now);
  const jobs = Math.ceil(n / PER_JOB);
  for (let j = 0; j < jobs; j += 10) {
    const plans = [];
    for (let k = j; k < Math.min(jobs, j + 10); k++) {
      const jobId = `drain-${k}`;
      await store.jobInsert({ job: { ...template, id: jobId } });
      const count = Math.min(PER_JOB, n - k * PER_JOB);
      const executions = Array.from({ length: count }, (_, i) =>
        dueExecution(jobId, now - 60_000 + i, now, i),
      );
      plans.push({
        jobId,
        expectedVersion: template.version,
        expectedNextFireAt: far,
        nextFireAt: far,
        completedAt: null,
        lastOutcome: null,
        executions,
        retention: { keepLast: 100, maxAgeMs: 7 * 86_400_000 },
      });
    }
    await store.jobsAdvance({ plans });
  }
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

async function drain(storeCase: StoreCase): Promise<Row> {
  const n = storeCase.drainN;
  const made = await storeCase.make();
  let ran = 0;
  const scheduler = createScheduler({ store: made.store, logger: silent, concurrency: 50 });
  scheduler.setHandler(() => void ran++);
  try {
    await made.store.open();
    const insertStart = performance.now();
    await insertDue(made.store, n);
    const insertMs = performance.now() - insertStart;
    const wallStart = performance.now();
    await scheduler.start();
    const deadline = Date.now() + 150_000;
    while ((ran < n || scheduler.status().held > 0) && Date.now() < deadline) await sleep(50);
    const wallMs = performance.now() - wallStart;
    const executions = await allExecutions(made.store);
    const done = executions.filter((e) => e.status === 'succeeded');
    const firstStart = done.reduce((min, e) => Math.min(min, e.startedAt ?? Infinity), Infinity);
    const lastFinish = done.reduce((max, e) => Math.max(max, e.finishedAt ?? 0), 0);
    const spanMs = lastFinish - firstStart;
    return {
      workload: 'drain',
      store: storeCase.name,
      figures: {
        executions: n,
        'insert s': round1(insertMs / 1000),
        succeeded: done.length,
        'first start → last finish s': round1(spanMs / 1000),
        'executions/s': Math.round(done.length / (spanMs / 1000)),
        'wall s': round1(wallMs / 1000),
      },
    };
  } finally {
    await scheduler.stop();
    await made.cleanup();
  }
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

/** CPU time of processes in ms (user + system) from /proc, or undefined when unreadable. */
function procCpuMs(pids: number[]): Map<number, number> | undefined {
  const TICK_MS = 10; // USER_HZ is 100 on Linux
  const times = new Map<number, number>();
  for (const pid of pids) {
    try {
      // Fields after the command name (which may hold spaces): state is field 3; utime, stime 14, 15.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      times.set(pid, (Number(fields[11]) + Number(fields[12])) * TICK_MS);
    } catch {
      return undefined;
    }
  }
  return times;
}

async function idle(storeCase: StoreCase): Promise<Row> {
  const JOBS = 100_000;
  const MEASURE_MS = 30_000;
  const made = await storeCase.make();
  const counting = countingStore(made.store);
  const scheduler = createScheduler({ store: counting.store, logger: silent });
  try {
    await made.store.open();
    const now = Date.now();
    const template = newJobRecord(
      'idle',
      { id: 'idle', schedule: once(new Date(now + 30 * DAY_MS)) },
      now,
    );
    const insertStart = performance.now();
    await made.insertJobs(template, 'idle-', JOBS);
    const insertMs = performance.now() - insertStart;
    await scheduler.start();
    await sleep(2_000); // past the start-up cycles
    const pids = await made.serverPids();
    const serverBefore = procCpuMs(pids);
    counting.calls.clear();
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    await sleep(MEASURE_MS);
    const wallMs = performance.now() - wallBefore;
    const cpu = process.cpuUsage(cpuBefore);
    const serverAfter = procCpuMs(pids);
    const calls = [...counting.calls].sort((a, b) => b[1] - a[1]);
    const total = calls.reduce((sum, [, count]) => sum + count, 0);
    return {
      workload: 'idle',
      store: storeCase.name,
      figures: {
        jobs: JOBS,
        'insert s': round1(insertMs / 1000),
        'store calls/s': round1(total / (wallMs / 1000)),
        calls: calls.map(([name, count]) => `${name} ${count}`).join(', '),
        'instance CPU %': round2(((cpu.user + cpu.system) / 1000 / wallMs) * 100),
        'postgres CPU %': serverCpuPercent(pids, serverBefore, serverAfter, wallMs),
        // The whole bench process: what earlier workloads left in the heap counts too.
        'RSS MB': Math.round(process.memoryUsage().rss / 2 ** 20),
        'bytes/job': await made.bytesPerJob(JOBS),
      },
    };
  } finally {
    await scheduler.stop();
    await made.cleanup();
  }
}

function serverCpuPercent(
  pids: number[],
  before: Map<number, number> | undefined,
  after: Map<number, number> | undefined,
  wallMs: number,
): number | string {
  if (pids.length === 0) return 'n/a';
  if (!before || !after) return 'n/a (no /proc)';
  const used = pids.reduce((sum, pid) => sum + (after.get(pid) ?? 0) - (before.get(pid) ?? 0), 0);
  return round2((used / wallMs) * 100);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

const UNITS: Record<Workload, string> = {
  lone: 'lag in ms',
  burst: 'lag in ms',
  drain: 'no-op handler, concurrency 50',
  idle: '30 s measured, nothing due; RSS of the whole bench process',
};

function printTable(rows: Row[]): void {
  for (const workload of [...new Set(rows.map((r) => r.workload))]) {
    const group = rows.filter((r) => r.workload === workload);
    const columns = [...new Set(group.flatMap((r) => Object.keys(r.figures)))];
    const header = ['store', ...columns];
    const lines = group.map((r) => [r.store, ...columns.map((c) => format(r.figures[c]))]);
    const widths = header.map((h, i) =>
      Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)),
    );
    console.log(`\n${workload} (${UNITS[workload]})`);
    console.log(header.map((h, i) => h.padEnd(widths[i] ?? 0)).join('  '));
    for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
  }
}

function format(value: number | string | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** The values of `--name=a,b`, or undefined when the flag is absent. */
function listFlag(name: string): string[] | undefined {
  const flag = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return flag
    ?.slice(name.length + 3)
    .split(',')
    .filter(Boolean);
}

const RUN: Record<Workload, (storeCase: StoreCase) => Promise<Row>> = { lone, burst, drain, idle };

async function main(): Promise<void> {
  const only = listFlag('only') ?? [...WORKLOADS];
  const wanted = listFlag('stores') ?? ['memory', 'sqlite', 'postgres'];
  const cases: StoreCase[] = [memoryCase, sqliteCase].filter((c) => wanted.includes(c.name));
  if (wanted.includes('postgres')) {
    const pgCase = await postgresCase();
    if (typeof pgCase === 'string') console.warn(pgCase);
    else cases.push(pgCase);
  }
  const rows: Row[] = [];
  for (const workload of WORKLOADS.filter((w) => only.includes(w))) {
    for (const storeCase of cases) {
      const started = performance.now();
      rows.push(await RUN[workload](storeCase));
      const seconds = round1((performance.now() - started) / 1000);
      console.warn(`${workload} on ${storeCase.name}: ${seconds} s`);
    }
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 2));
  else printTable(rows);
}

await main();
