/**
 * chime's benchmarks, per store (issue 7). Prints a table per workload — the
 * median of N runs, with the issue's targets met or missed — and exits; never
 * asserts. Every run gets a fresh store: its own temporary SQLite file, its
 * own Postgres schema (dropped afterwards), a new memory store.
 *
 *   npm run bench                                         # every workload on every store (~11 min)
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
 * lone:  100 sequential one-shot fires on an otherwise idle store; lag = handler start − fire instant.
 * burst: 10,000 one-shot jobs submitted ahead and all due at one instant T (concurrency 2,000,
 *        prefetch 10,000: the instance may claim the whole burst ahead of T);
 *        submit time, lag of each start, and last start − T.
 * drain: 20,000 executions already due (manual triggers inserted through the store), concurrency 50, a
 *        no-op handler; throughput from the first handler start to the last outcome recorded in
 *        the store (the `execution:succeeded` event, emitted once the finish write returned).
 * tick:  1,000 jobs `every('1s')` with one `startAt`, two scheduler processes (bench/tick-worker.ts)
 *        on one store, for --tick-seconds; every handler call is recorded by its process; expected
 *        (jobs × fires in the window), observed, missed, duplicated, lag (over the run, its first
 *        and last tenth, and after its first second). Not on the memory store.
 * idle:  100,000 jobs whose fire is a month away, in a fresh process; over --idle-seconds: store
 *        calls per second (a Proxy counts them; each is one SQL statement), CPU of the instance and
 *        of its Postgres backends, RSS, bytes per job. One run by default: its figures are counts
 *        and averages over the whole window, and three 30 s windows would push the suite past 12 min.
 *
 * Postgres: `CHIME_BENCH_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`). When it
 * is unreachable its cases are skipped with a note.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { pino } from 'pino';
import {
  createScheduler,
  memoryStore,
  once,
  postgresStore,
  sqliteStore,
  type JobDefinition,
  type Scheduler,
  type Store,
} from '../src/index.js';
import { newJobRecord } from '../src/scheduler/job-records.js';
import type { ExecutionRecord, JobRecord } from '../src/stores/store.js';
import {
  WallClock,
  cpuUsedMs,
  hrtimeUs,
  lagFigures,
  procCpuMs,
  round1,
  round2,
  writeMark,
} from './lib.js';
import type { TickWorkerConfig } from './tick-worker.js';

const DATABASE_URL =
  process.env['CHIME_BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const WORKLOADS = ['lone', 'burst', 'drain', 'tick', 'idle'] as const;
type Workload = (typeof WORKLOADS)[number];
const STORES = ['memory', 'sqlite', 'postgres'] as const;
const DAY_MS = 86_400_000;
/** The scheduler's default horizon: planning of an instant starts this long before it. */
const HORIZON_MS = 2_000;
const THIS_FILE = fileURLToPath(import.meta.url);
const TICK_WORKER = fileURLToPath(new URL('./tick-worker.js', import.meta.url));

type Figures = Record<string, number | string>;

interface Options {
  only: Workload[];
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
interface RunContext {
  opts: Options;
  run: number;
  wall: WallClock;
}

/** A store made fresh for one run, with what only its backend can tell. */
interface Made {
  store: Store;
  cleanup: () => Promise<void>;
  /** Stored bytes per job (table and indexes, or the database file), after the jobs are in. */
  bytesPerJob: (jobs: number) => Promise<number | string>;
  /** The database server processes serving this store, for their CPU time. */
  serverPids: () => Promise<number[]>;
  /** Inserts `count` copies of `template` under ids `<prefix><i>`, the fastest way the backend allows. */
  insertJobs: (template: JobRecord, prefix: string, count: number) => Promise<void>;
  /**
   * Inserts `count` executions like `template` ({@link copyOf} its `i`th copy),
   * the first through the store, the others the fastest way the backend allows.
   */
  insertExecutions: (template: ExecutionRecord, count: number, jobs: number) => Promise<void>;
}

/**
 * The `i`th copy of a template execution: id `<id>-<i, 6 digits>`, job
 * `<jobId><i mod jobs>`, fire and run `i` ms after the template's.
 */
function copyOf(template: ExecutionRecord, i: number, jobs: number): ExecutionRecord {
  return {
    ...template,
    id: `${template.id}-${String(i).padStart(6, '0')}`,
    jobId: `${template.jobId}${i % jobs}`,
    fireAt: template.fireAt + i,
    runAt: template.runAt + i,
  };
}

/** Where the two processes of the tick workload meet. */
interface TickTarget {
  config: Pick<TickWorkerConfig, 'store' | 'path' | 'databaseUrl' | 'schema'>;
  serverPids: () => Promise<number[]>;
  /** Rows in the executions table now (retention keeps it bounded). */
  executionRows: () => Promise<number>;
  cleanup: () => Promise<void>;
}

interface StoreCase {
  name: string;
  /** A first guess of the time to submit the burst's 10,000 jobs (later runs use the last one measured). */
  burstSubmitGuessMs: number;
  make: () => Promise<Made>;
  /** Absent: the store cannot be shared by processes. */
  tickTarget?: () => Promise<TickTarget>;
}

const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A sleep that does not keep the process alive (for deadlines raced against work). */
const giveUpAfter = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

// ------------------------------------------------------------------ stores

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
  burstSubmitGuessMs: 700,
  make: async () => {
    const store = memoryStore();
    return {
      store,
      cleanup: async () => undefined,
      bytesPerJob: async () => 'n/a',
      serverPids: async () => [],
      insertJobs: (template, prefix, count) => insertThroughApi(store, template, prefix, count),
      insertExecutions: async (template, count, jobs) => {
        for (let i = 0; i < count; i++) {
          await store.executionInsert({ execution: copyOf(template, i, jobs) });
        }
      },
    };
  },
};

/** The columns of a copied execution that differ from the first one's ({@link copyOf}), in SQLite. */
const COPY_SQLITE: Record<string, string> = {
  id: `@id || '-' || printf('%06d', n)`,
  job_id: `@job || (n % CAST(@jobs AS INTEGER))`,
  fire_at: 'fire_at + n',
  run_at: 'run_at + n',
};

/** The same in Postgres (`g` numbers the copies). */
const COPY_POSTGRES: Record<string, string> = {
  id: `$1 || '-' || lpad(g::text, 6, '0')`,
  job_id: `$2 || (g % $3::int)`,
  fire_at: 'fire_at + g',
  run_at: 'run_at + g',
};

const sqliteCase: StoreCase = {
  name: 'sqlite',
  burstSubmitGuessMs: 2_000,
  make: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chime-bench-'));
    const path = join(dir, 'bench.db');
    const store = sqliteStore({ path });
    return {
      store,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      bytesPerJob: async (jobs) => {
        // Everything in the main file first, so its size is the data's.
        const db = new Database(path);
        try {
          db.pragma('wal_checkpoint(TRUNCATE)');
        } finally {
          db.close();
        }
        return Math.round(statSync(path).size / jobs);
      },
      serverPids: async () => [],
      // One job through the store, the others copied from it by SQLite in one statement.
      insertJobs: async (template, prefix, count) => {
        await store.jobInsert({ job: { ...template, id: `${prefix}0` } });
        const db = new Database(path);
        try {
          const columns = db
            .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('jobs')")
            .all()
            .map((c) => c.name)
            .filter((name) => name !== 'id');
          db.prepare(
            `INSERT INTO jobs (id, ${columns.join(', ')})
             WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < @last)
             SELECT @prefix || n, ${columns.join(', ')} FROM jobs, g WHERE id = @prefix || '0'`,
          ).run({ prefix, last: count - 1 });
          db.exec('ANALYZE');
        } finally {
          db.close();
        }
      },
      insertExecutions: async (template, count, jobs) => {
        const first = copyOf(template, 0, jobs);
        await store.executionInsert({ execution: first });
        const db = new Database(path);
        try {
          const columns = db
            .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('executions')")
            .all()
            .map((c) => c.name);
          const values = columns.map((name) => COPY_SQLITE[name] ?? name);
          db.prepare(
            `INSERT INTO executions (${columns.join(', ')})
             WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < @last)
             SELECT ${values.join(', ')} FROM executions, g WHERE id = @first`,
          ).run({ first: first.id, id: template.id, job: template.jobId, jobs, last: count - 1 });
          db.exec('ANALYZE');
        } finally {
          db.close();
        }
      },
    };
  },
  tickTarget: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chime-bench-tick-'));
    const path = join(dir, 'tick.db');
    return {
      config: { store: 'sqlite', path },
      serverPids: async () => [],
      executionRows: async () => {
        const db = new Database(path, { readonly: true, fileMustExist: true });
        try {
          const row = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM executions').get();
          return row?.n ?? 0;
        } finally {
          db.close();
        }
      },
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
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
  return {
    name: 'postgres',
    burstSubmitGuessMs: 5_000,
    make: makePostgres,
    tickTarget: async () => {
      const schema = freshSchema();
      const admin = adminPool();
      return {
        config: { store: 'postgres', databaseUrl: DATABASE_URL, schema },
        serverPids: () => backendsOf(admin, schema),
        executionRows: async () => {
          const { rows } = await admin.query<{ n: string }>(
            `SELECT count(*) AS n FROM "${schema}".executions`,
          );
          return Number(rows[0]?.n ?? 0);
        },
        cleanup: () => dropSchema(admin, schema),
      };
    },
  };
}

function freshSchema(): string {
  return `chime_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
}

function adminPool(): pg.Pool {
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  admin.on('error', () => undefined);
  return admin;
}

async function backendsOf(admin: pg.Pool, schema: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
    [schema],
  );
  return rows.map((row) => row.pid);
}

async function dropSchema(admin: pg.Pool, schema: string): Promise<void> {
  try {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.end();
  }
}

async function makePostgres(): Promise<Made> {
  const schema = freshSchema();
  const admin = adminPool();
  const store = postgresStore({ connectionString: DATABASE_URL, schema, applicationName: schema });
  const table = `"${schema}".jobs`;
  return {
    store,
    cleanup: () => dropSchema(admin, schema),
    bytesPerJob: async (jobs) => {
      const { rows } = await admin.query<{ bytes: string }>(
        'SELECT pg_total_relation_size($1::regclass) AS bytes',
        [table],
      );
      return Math.round(Number(rows[0]?.bytes ?? 0) / jobs);
    },
    serverPids: () => backendsOf(admin, schema),
    // One job through the store, the others copied from it by the database.
    insertJobs: async (template, prefix, count) => {
      await store.jobInsert({ job: { ...template, id: `${prefix}0` } });
      const { rows } = await admin.query<{ name: string }>(
        `SELECT column_name AS name FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = 'jobs' AND is_generated = 'NEVER'
           AND column_name <> 'id' ORDER BY ordinal_position`,
        [schema],
      );
      const columns = rows.map((r) => `"${r.name}"`).join(', ');
      await admin.query(
        `INSERT INTO ${table} (id, ${columns})
         SELECT $1 || g, ${columns}
         FROM ${table}, generate_series(1, $2::int - 1) AS g WHERE id = $1 || '0'`,
        [prefix, count],
      );
      await admin.query(`ANALYZE ${table}`);
    },
    insertExecutions: async (template, count, jobs) => {
      const first = copyOf(template, 0, jobs);
      await store.executionInsert({ execution: first });
      const executions = `"${schema}".executions`;
      const { rows } = await admin.query<{ name: string }>(
        `SELECT column_name AS name FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = 'executions' AND is_generated = 'NEVER'
         ORDER BY ordinal_position`,
        [schema],
      );
      const columns = rows.map((r) => r.name);
      const values = columns.map((name) => COPY_POSTGRES[name] ?? `"${name}"`);
      await admin.query(
        `INSERT INTO ${executions} (${columns.map((c) => `"${c}"`).join(', ')})
         SELECT ${values.join(', ')}
         FROM ${executions}, generate_series(1, $5::int - 1) AS g WHERE id = $4`,
        [template.id, template.jobId, jobs, first.id, count],
      );
      await admin.query(`ANALYZE ${executions}`);
    },
  };
}

// --------------------------------------------------------------- workloads

/**
 * Runs `body` with a started scheduler on a fresh store whose handler records,
 * per execution, its lag (start − fire instant, ms) and its start (wall ms).
 */
async function withScheduler<T>(
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

async function lone(storeCase: StoreCase, { wall }: RunContext): Promise<Figures> {
  const FIRES = 100;
  return withScheduler(storeCase, { concurrency: 10 }, wall, async (scheduler, lags) => {
    for (let i = 0; i < FIRES; i++) {
      await scheduler.submitJob({ id: `lone-${i}`, schedule: once(new Date(Date.now() + 30)) });
      const deadline = Date.now() + 5_000;
      while (lags.size <= i && Date.now() < deadline) await sleep(2);
    }
    return { fires: lags.size, ...lagFigures([...lags.values()]) };
  });
}

/** The last submit time measured per store, for the next burst run's lead. */
const burstSubmitMs = new Map<string, number>();

/** Definitions per `submitJobs` call. */
const SUBMIT_BATCH = 1_000;

/**
 * Submits the definitions through the bulk API, `submitJobs`, in batches of
 * 1,000 (one store transaction each). Returns how, for the table.
 */
async function submitAll(scheduler: Scheduler, definitions: JobDefinition[]): Promise<string> {
  for (let i = 0; i < definitions.length; i += SUBMIT_BATCH) {
    await scheduler.submitJobs(definitions.slice(i, i + SUBMIT_BATCH));
  }
  return `submitJobs, batches of ${SUBMIT_BATCH.toLocaleString('en-US')}`;
}

async function burst(storeCase: StoreCase, { wall, run, opts }: RunContext): Promise<Figures> {
  const JOBS = 10_000;
  return withScheduler(
    storeCase,
    { concurrency: 2_000, prefetch: JOBS },
    wall,
    async (scheduler, lags, made, lastStart) => {
      // T leaves time for the submission (1.5 × the last one measured) and the planning horizon.
      const guess = burstSubmitMs.get(storeCase.name) ?? storeCase.burstSubmitGuessMs;
      const submitStart = wall.now();
      const t = Math.ceil(submitStart + guess * 1.5 + HORIZON_MS + 1_000);
      const hrAtT = hrtimeUs() + (t - wall.now()) * 1000;
      const definitions = Array.from({ length: JOBS }, (_, i) => ({
        id: `burst-${i}`,
        schedule: once(new Date(t)),
      }));
      const via = await submitAll(scheduler, definitions);
      const submitEnd = wall.now();
      const submitMs = submitEnd - submitStart;
      burstSubmitMs.set(storeCase.name, submitMs);
      // CPU over the busy window: from half a second before planning starts to the last start.
      const windowStart = t - HORIZON_MS - 500;
      let cpuStart: NodeJS.CpuUsage | undefined;
      let serverStart = new Map<number, number>();
      let pids: number[] = [];
      const sampler = setTimeout(
        () => {
          cpuStart = process.cpuUsage();
          serverStart = procCpuMs(pids);
        },
        Math.max(0, windowStart - wall.now()),
      );
      pids = await made.serverPids();
      const deadline = t + 30_000;
      while (lags.size < JOBS && Date.now() < deadline) await sleep(5);
      clearTimeout(sampler);
      const cpu = cpuStart ? process.cpuUsage(cpuStart) : undefined;
      const serverMs = cpuUsedMs(serverStart, procCpuMs(await made.serverPids()));
      writeMark(opts.marks, {
        workload: 'burst',
        store: storeCase.name,
        run,
        startUs: hrAtT - (HORIZON_MS + 500) * 1000,
        endUs: hrAtT + (lastStart() - t) * 1000,
        fires: lags.size,
        ...(cpu ? { instanceCpuMs: (cpu.user + cpu.system) / 1000 } : {}),
        ...(pids.length > 0 ? { storeCpuMs: serverMs } : {}),
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
        'submitted by': via,
      };
    },
  );
}

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
  for (let j = 0; j < JOBS; j++) {
    await made.store.jobInsert({ job: { ...template, id: `drain-${j}` } });
  }
  const trigger: ExecutionRecord = {
    id: 'trigger',
    jobId: 'drain-',
    fireAt: now - 60_000,
    runAt: now - 60_000,
    trigger: 'manual',
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

async function drain(storeCase: StoreCase, { wall, run, opts }: RunContext): Promise<Figures> {
  const N = 20_000;
  const made = await storeCase.make();
  const scheduler = createScheduler({ store: made.store, logger: silent, concurrency: 50 });
  let started = 0;
  let firstStart = Number.NaN;
  let succeeded = 0;
  let lastDone = Number.NaN;
  let done: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (done = resolve));
  let cpuAtEnd: NodeJS.CpuUsage | undefined;
  scheduler.setHandler(() => {
    if (started++ === 0) firstStart = wall.now();
  });
  // Emitted once the finish write has returned: the outcome is recorded in the store.
  scheduler.on('execution:succeeded', () => {
    lastDone = wall.now();
    if (++succeeded === N) {
      cpuAtEnd = process.cpuUsage();
      done();
    }
  });
  try {
    await made.store.open();
    const insertStart = performance.now();
    await insertDue(made, N);
    const insertMs = performance.now() - insertStart;
    const pids = await made.serverPids();
    const serverBefore = procCpuMs(pids);
    const cpuBefore = process.cpuUsage();
    const wallRef = wall.now();
    const hrRef = hrtimeUs();
    await scheduler.start();
    await Promise.race([allDone, giveUpAfter(120_000)]);
    const serverMs = cpuUsedMs(serverBefore, procCpuMs(await made.serverPids()));
    const end = cpuAtEnd ?? process.cpuUsage();
    const instanceMs = (end.user - cpuBefore.user + end.system - cpuBefore.system) / 1000;
    const spanMs = lastDone - firstStart;
    writeMark(opts.marks, {
      workload: 'drain',
      store: storeCase.name,
      run,
      startUs: hrRef + (firstStart - wallRef) * 1000,
      endUs: hrRef + (lastDone - wallRef) * 1000,
      fires: succeeded,
      instanceCpuMs: instanceMs,
      ...(pids.length > 0 ? { storeCpuMs: serverMs } : {}),
    });
    const inStore = (await allExecutions(made.store)).filter((e) => e.status === 'succeeded');
    return {
      executions: N,
      'insert s': round1(insertMs / 1000),
      'succeeded in store': inStore.length,
      'first start → last recorded s': round2(spanMs / 1000),
      'jobs/s': Math.round(succeeded / (spanMs / 1000)),
      'instance CPU µs/job': Math.round((instanceMs * 1000) / N),
      'store CPU µs/job': pids.length > 0 ? Math.round((serverMs * 1000) / N) : 'in-process',
    };
  } finally {
    await scheduler.stop();
    await made.cleanup();
  }
}

interface WorkerHandle {
  ready: Promise<number>;
  stopped: Promise<{ fires: number; errors: number; cpuMs: number; windowMs: number }>;
  exited: Promise<number | null>;
  stop: () => void;
  kill: () => void;
}

function startTickWorker(config: TickWorkerConfig): WorkerHandle {
  const child = spawn(process.execPath, [TICK_WORKER, JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const failed = exited.then((code) => {
    throw new Error(`tick worker ${config.instanceId} exited with ${String(code)}`);
  });
  failed.catch(() => undefined);
  const message = <T>(type: string) =>
    Promise.race([
      new Promise<T>((resolve) =>
        child.on('message', (m: { type?: string }) => {
          if (m.type === type) resolve(m as T);
        }),
      ),
      failed,
    ]);
  return {
    ready: message<{ at: number }>('ready').then((m) => m.at),
    stopped: message('stopped'),
    exited,
    stop: () => child.send({ type: 'stop' }),
    kill: () => child.kill('SIGKILL'),
  };
}

async function tick(storeCase: StoreCase, { opts }: RunContext): Promise<Figures> {
  const JOBS = 1_000;
  const seconds = opts.tickSeconds;
  if (!storeCase.tickTarget) throw new Error(`${storeCase.name} cannot be shared by processes`);
  const target = await storeCase.tickTarget();
  const dir = mkdtempSync(join(tmpdir(), 'chime-bench-fires-'));
  // Room for both processes to start and declare their jobs before planning begins.
  const leadMs = storeCase.name === 'postgres' ? 6_000 : 4_000;
  const startAt = Math.ceil((Date.now() + leadMs) / 1000) * 1000;
  const windowEnd = startAt + seconds * 1000;
  const workers = [0, 1].map((k) =>
    startTickWorker({
      ...target.config,
      instanceId: `tick-${k}`,
      jobs: JOBS,
      startAt,
      windowEnd,
      out: join(dir, `fires-${k}.csv`),
      ...(opts.tickConcurrency === undefined ? {} : { concurrency: opts.tickConcurrency }),
    }),
  );
  try {
    const readyAt = Math.max(...(await Promise.all(workers.map((w) => w.ready))));
    await sleep(Math.max(0, startAt - Date.now()));
    const pids = await target.serverPids();
    const serverBefore = procCpuMs(pids);
    // The executions table every 10 s: with retention on, it levels off instead of growing.
    const rows: number[] = [];
    while (Date.now() < windowEnd) {
      rows.push(await target.executionRows());
      await sleep(Math.min(10_000, Math.max(0, windowEnd - Date.now())));
    }
    rows.push(await target.executionRows());
    const serverMs = cpuUsedMs(serverBefore, procCpuMs(await target.serverPids()));
    await sleep(1_500); // the window's last fires finish
    for (const w of workers) w.stop();
    const stats = await Promise.all(workers.map((w) => w.stopped));
    await Promise.all(workers.map((w) => w.exited));
    const fires = workers.map((_, k) => readFileSync(join(dir, `fires-${k}.csv`), 'utf8'));
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

/** Reads the processes' records: one `jobIndex,fireAtMs,startMs` line per handler call. */
function tickFigures(files: string[], jobs: number, seconds: number, startAt: number): Figures {
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
  let observed = 0;
  let duplicated = 0;
  const lags: number[] = [];
  count.forEach((c, key) => {
    if (c === 0) return;
    observed++;
    duplicated += c - 1;
    lags.push(first[key] ?? Number.NaN);
  });
  const f = lagFigures(lags);
  // Lag over the first and the last tenth of the window: it must not grow over the run.
  const tenth = Math.max(1, Math.floor(seconds / 10));
  const lagsOf = (from: number, to: number) => {
    const part: number[] = [];
    for (let job = 0; job < jobs; job++) {
      for (let k = from; k < to; k++) {
        const lag = first[job * seconds + k] ?? Number.POSITIVE_INFINITY;
        if (lag !== Number.POSITIVE_INFINITY) part.push(lag);
      }
    }
    return lagFigures(part);
  };
  const head = lagsOf(0, tenth);
  const tail = lagsOf(seconds - tenth, seconds);
  // Without the first instant: a fresh instance holds 2 × concurrency until it has seen its handlers finish.
  const warm = lagsOf(1, seconds);
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
    'fires per instance': perInstance.join(' / '),
    'outside window': outside,
  };
}

async function idle(storeCase: StoreCase, { opts }: RunContext): Promise<Figures> {
  // A fresh process: RSS and CPU are the idle instance's, not what earlier workloads left.
  const args = [
    '--expose-gc',
    THIS_FILE,
    '--child=idle',
    `--stores=${storeCase.name}`,
    `--idle-seconds=${opts.idleSeconds}`,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const last = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0) throw new Error(`the idle process exited with ${String(code)}: ${last}`);
  return JSON.parse(last) as Figures;
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

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

/** The idle workload, in this process (the child that {@link idle} starts). */
async function idleHere(storeCase: StoreCase, seconds: number): Promise<Figures> {
  const JOBS = 100_000;
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
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const insertStart = performance.now();
    await made.insertJobs(template, 'idle-', JOBS);
    const insertMs = performance.now() - insertStart;
    await scheduler.start();
    await sleep(2_000); // past the start-up cycles
    gc();
    const heapBytes = process.memoryUsage().heapUsed - heapBefore;
    const pids = await made.serverPids();
    const serverBefore = procCpuMs(pids);
    counting.calls.clear();
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    await sleep(seconds * 1000);
    const wallMs = performance.now() - wallBefore;
    const cpu = process.cpuUsage(cpuBefore);
    const serverMs = cpuUsedMs(serverBefore, procCpuMs(await made.serverPids()));
    const calls = [...counting.calls].sort((a, b) => b[1] - a[1]);
    const total = calls.reduce((sum, [, count]) => sum + count, 0);
    const bytes = await made.bytesPerJob(JOBS);
    return {
      jobs: JOBS,
      'insert s': round1(insertMs / 1000),
      'store queries/s': round2(total / (wallMs / 1000)),
      calls: calls.map(([name, count]) => `${name} ${count}`).join(', '),
      'instance CPU %': round2(((cpu.user + cpu.system) / 1000 / wallMs) * 100),
      'store CPU %': pids.length > 0 ? round2((serverMs / wallMs) * 100) : 'in-process',
      'RSS MB': Math.round(process.memoryUsage().rss / 2 ** 20),
      'bytes/job': typeof bytes === 'number' ? bytes : Math.round(heapBytes / JOBS),
      'bytes/job of': typeof bytes === 'number' ? 'store' : 'JS heap',
    };
  } finally {
    await scheduler.stop();
    await made.cleanup();
  }
}

const RUN: Record<Workload, (storeCase: StoreCase, ctx: RunContext) => Promise<Figures>> = {
  lone,
  burst,
  drain,
  tick,
  idle,
};

// ------------------------------------------------------- medians and targets

/** The figure a run is ranked by (string figures come from the median run by it). */
const KEY: Record<Workload, string> = {
  lone: 'lag p99',
  burst: 'last start − T',
  drain: 'jobs/s',
  tick: 'lag p99',
  idle: 'store queries/s',
};

const DESCRIPTION: Record<Workload, string> = {
  lone: '100 sequential one-shot fires, idle store; lag = handler start − fire instant, ms',
  burst:
    '10,000 one-shot jobs due at one instant T, concurrency 2,000, prefetch 10,000; lag = handler start − T, ms',
  drain: '20,000 executions due now, concurrency 50, no-op handler; first start → last recorded',
  tick: "1,000 jobs every('1s'), one phase, 2 processes; lag = handler start − fire instant, ms",
  idle: '100,000 jobs due in a month, nothing due; fresh process, figures over the window',
};

interface Target {
  figure: string;
  op: '<=' | '>=';
  value: number;
  /** The stores it applies to (absent: every store). */
  stores?: string[];
  unit: string;
}

/** The targets of issue 7, on this 2-core machine. */
const TARGETS: Record<Workload, Target[]> = {
  lone: [{ figure: 'lag p99', op: '<=', value: 5, unit: ' ms' }],
  burst: [
    { figure: 'last start − T', op: '<=', value: 150, stores: ['sqlite', 'postgres'], unit: ' ms' },
    { figure: 'lag p50', op: '<=', value: 50, stores: ['sqlite', 'postgres'], unit: ' ms' },
    { figure: 'lag min', op: '<=', value: 2, stores: ['sqlite', 'postgres'], unit: ' ms' },
  ],
  drain: [
    { figure: 'jobs/s', op: '>=', value: 30_000, stores: ['postgres'], unit: '' },
    { figure: 'jobs/s', op: '>=', value: 50_000, stores: ['sqlite'], unit: '' },
  ],
  tick: [
    { figure: 'missed', op: '<=', value: 0, unit: '' },
    { figure: 'duplicated', op: '<=', value: 0, unit: '' },
    { figure: 'lag p99', op: '<=', value: 20, unit: ' ms' },
  ],
  idle: [
    { figure: 'store queries/s', op: '<=', value: 1, unit: '' },
    { figure: 'instance CPU %', op: '<=', value: 1, unit: ' %' },
  ],
};

interface TargetCheck {
  target: string;
  value: number | string | undefined;
  met: boolean;
}

interface Result {
  workload: Workload;
  store: string;
  /** Median of each numeric figure over the runs; string figures from the median run. */
  median?: Figures;
  runs: Figures[];
  targets: TargetCheck[];
  /** Why there is no figure (the store cannot run it, or a run failed). */
  note?: string;
}

function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : round2(((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2);
}

function medianFigures(workload: Workload, runs: Figures[]): Figures {
  const key = KEY[workload];
  const ranked = [...runs].sort((a, b) => Number(a[key]) - Number(b[key]));
  const middle = ranked[Math.floor((ranked.length - 1) / 2)] ?? {};
  const out: Figures = {};
  for (const name of Object.keys(runs[0] ?? {})) {
    const values = runs.map((r) => r[name]);
    out[name] = values.every((v) => typeof v === 'number')
      ? median(values as number[])
      : (middle[name] ?? '');
  }
  return out;
}

function checkTargets(workload: Workload, store: string, figures: Figures): TargetCheck[] {
  return TARGETS[workload]
    .filter((t) => !t.stores || t.stores.includes(store))
    .map((t) => {
      const value = figures[t.figure];
      const n = typeof value === 'number' ? value : Number.NaN;
      const met = t.op === '<=' ? n <= t.value : n >= t.value;
      const bound = t.value.toLocaleString('en-US');
      return { target: `${t.figure} ${t.op === '<=' ? '≤' : '≥'} ${bound}${t.unit}`, value, met };
    });
}

// ----------------------------------------------------------------- output

function format(value: number | string | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (Number.isNaN(value)) return 'n/a';
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function printTable(results: Result[], opts: Options, env: Environment): void {
  console.log(`chime bench — ${env.date}`);
  console.log(`command: ${env.command}`);
  console.log(`machine: ${env.machine}`);
  for (const workload of WORKLOADS) {
    const group = results.filter((r) => r.workload === workload);
    if (group.length === 0) continue;
    const runs = workload === 'idle' ? opts.idleRuns : opts.runs;
    const columns = [...new Set(group.flatMap((r) => Object.keys(r.median ?? {})))];
    const header = ['store', ...columns];
    const lines = group.map((r) =>
      r.median ? [r.store, ...columns.map((c) => format(r.median?.[c]))] : [r.store],
    );
    const widths = header.map((h, i) =>
      Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)),
    );
    const seconds = workload === 'tick' ? `, ${opts.tickSeconds} s` : '';
    console.log(
      `\n${workload} — ${DESCRIPTION[workload]}${seconds} (median of ${runs} run${runs === 1 ? '' : 's'})`,
    );
    console.log(header.map((h, i) => h.padEnd(widths[i] ?? 0)).join('  '));
    group.forEach((r, i) => {
      const line = lines[i] ?? [];
      if (r.note !== undefined) {
        console.log(`${r.store.padEnd(widths[0] ?? 0)}  ${r.note}`);
        return;
      }
      console.log(line.map((c, k) => c.padEnd(widths[k] ?? 0)).join('  '));
      const indent = ' '.repeat((widths[0] ?? 0) + 2);
      const key = KEY[workload];
      if (r.runs.length > 1) {
        console.log(`${indent}runs (${key}): ${r.runs.map((f) => format(f[key])).join(', ')}`);
      }
      const checks = r.targets.map(
        (c) => `${c.target}: ${c.met ? 'met' : 'MISSED'} (${format(c.value)})`,
      );
      console.log(`${indent}targets: ${checks.length > 0 ? checks.join(' · ') : 'none set'}`);
    });
  }
}

interface Environment {
  date: string;
  command: string;
  machine: string;
}

async function environment(): Promise<Environment> {
  const cpu = cpus();
  const parts = [
    `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'})`,
    `${Math.round(totalmem() / 2 ** 30)} GiB`,
    `Node ${process.version}`,
  ];
  try {
    const db = new Database(':memory:');
    const row = db.prepare('SELECT sqlite_version() AS v').get() as { v: string };
    db.close();
    parts.push(`SQLite ${row.v}`);
  } catch {
    // not fatal
  }
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    parts.push(`PostgreSQL ${rows[0]?.server_version ?? '?'} (same host)`);
  } catch {
    // skipped later with a note
  } finally {
    await client.end().catch(() => undefined);
  }
  const args = process.argv.slice(2);
  return {
    date: new Date().toISOString(),
    command: `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
    machine: parts.join(', '),
  };
}

// ------------------------------------------------------------------- main

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

function parseOptions(): Options {
  const only = listFlag('only') ?? [...WORKLOADS];
  const unknown = only.filter((w) => !(WORKLOADS as readonly string[]).includes(w));
  if (unknown.length > 0) throw new Error(`unknown workload(s): ${unknown.join(', ')}`);
  const stores = listFlag('stores') ?? [...STORES];
  const badStores = stores.filter((s) => !(STORES as readonly string[]).includes(s));
  if (badStores.length > 0) throw new Error(`unknown store(s): ${badStores.join(', ')}`);
  const tickConcurrency = flag('tick-concurrency');
  return {
    only: only as Workload[],
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

async function storeCases(wanted: string[]): Promise<{ cases: StoreCase[]; notes: string[] }> {
  const cases = [memoryCase, sqliteCase].filter((c) => wanted.includes(c.name));
  const notes: string[] = [];
  if (wanted.includes('postgres')) {
    const pgCase = await postgresCase();
    if (typeof pgCase === 'string') notes.push(pgCase);
    else cases.push(pgCase);
  }
  return { cases, notes };
}

async function main(): Promise<void> {
  const opts = parseOptions();
  const { cases, notes } = await storeCases(opts.stores);
  if (opts.child === 'idle') {
    const storeCase = cases[0];
    if (!storeCase) throw new Error(notes.join('; ') || 'no store for the idle process');
    console.log(JSON.stringify(await idleHere(storeCase, opts.idleSeconds)));
    return;
  }
  for (const note of notes) console.warn(note);
  const env = await environment();
  const results: Result[] = [];
  const began = performance.now();
  for (const workload of WORKLOADS.filter((w) => opts.only.includes(w))) {
    for (const storeCase of cases) {
      if (workload === 'tick' && !storeCase.tickTarget) {
        const note = 'n/a: the memory store lives in one process';
        results.push({ workload, store: storeCase.name, runs: [], targets: [], note });
        continue;
      }
      const count = workload === 'idle' ? opts.idleRuns : opts.runs;
      const runs: Figures[] = [];
      let note: string | undefined;
      for (let run = 1; run <= count; run++) {
        const started = performance.now();
        try {
          runs.push(await RUN[workload](storeCase, { opts, run, wall: new WallClock() }));
        } catch (err) {
          note = `run ${run} failed: ${err instanceof Error ? err.message : String(err)}`;
          console.warn(`${workload} on ${storeCase.name}: ${note}`);
          break;
        }
        const seconds = round1((performance.now() - started) / 1000);
        console.warn(`${workload} on ${storeCase.name}, run ${run}/${count}: ${seconds} s`);
      }
      const result: Result = { workload, store: storeCase.name, runs, targets: [] };
      if (note !== undefined) result.note = note;
      if (runs.length > 0 && note === undefined) {
        result.median = medianFigures(workload, runs);
        result.targets = checkTargets(workload, storeCase.name, result.median);
      }
      results.push(result);
    }
  }
  console.warn(`total: ${round1((performance.now() - began) / 1000)} s`);
  if (opts.json) {
    console.log(JSON.stringify({ ...env, notes, options: opts, results }, null, 2));
  } else {
    printTable(results, opts, env);
    for (const note of notes) console.log(`\n${note}`);
  }
  // Whatever a failed run may have left open must not keep the process from exiting.
  setTimeout(() => process.exit(0), 2_000).unref();
}

await main();
