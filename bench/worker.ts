/**
 * One scheduler instance of a workload of several processes (`tick`,
 * `burst2`), in a process of its own (spawned through `worker-handle.ts` with
 * an IPC channel). Configured by one JSON argument ({@link WorkerConfig}). It
 * records every handler call as `jobIndex,fireAtMs,startMs` to its own file
 * (the job's index rides in its payload). Messages:
 *
 *   worker → parent: { type: 'ready', at }                jobs declared, scheduler running
 *                    { type: 'submitted', ms, via }       the burst is in the store
 *                    { type: 'progress', fires, succeeded }
 *                    { type: 'stopped', fires, errors, cpuMs, windowMs, succeeded, lastDoneAt }
 *   parent → worker: { type: 'submit', prefix, count, at } submit `count` one-shot jobs due at `at`
 *                    { type: 'progress' }                  how far it is
 *                    { type: 'stop' }                      stop, flush, exit
 *
 * tick: it declares the workload's jobs with `ensureJob` — as every instance
 * of a deployment does at boot — before it says it is ready.
 * burst2: it says it is ready once `peers` instances are registered and its
 * own registry has seen them all (a sign of life of its own after they were
 * all listed), so the fair shares are in force before the burst is submitted.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import {
  createScheduler,
  every,
  once,
  natsStore,
  postgresStore,
  sqliteStore,
  type Scheduler,
  type Store,
} from '../src/index.js';
import { WallClock, silent, sleep, submitAll } from './lib.js';

export interface WorkerConfig {
  store: 'sqlite' | 'postgres' | 'nats';
  /** SQLite: the database file. */
  path?: string;
  /** Postgres: connection string and schema; NATS: server URL and bucket prefix. */
  databaseUrl?: string;
  schema?: string;
  instanceId: string;
  /** The record file (one line per handler call). */
  out: string;
  /** Attempts run at once; absent: the library default. */
  concurrency?: number;
  /** Executions held at once; absent: the library default (adaptive). */
  prefetch?: number;
  /** tick: declare `jobs` jobs `every('1s')` from `startAt`; CPU is measured over [startAt, windowEnd]. */
  tick?: { jobs: number; startAt: number; windowEnd: number };
  /** Ready only once this many instances are live and this one's registry has seen them. */
  peers?: number;
  /** Count the outcomes recorded (`execution:succeeded`) and note the last one's time. */
  outcomes?: boolean;
}

/** What a worker says when it has stopped. */
export interface WorkerStopped {
  fires: number;
  errors: number;
  /** CPU over the tick window (NaN without one). */
  cpuMs: number;
  windowMs: number;
  /** Outcomes recorded, and when the last was (wall ms; NaN: none, or not counted). */
  succeeded: number;
  lastDoneAt: number;
}

/** A message from the parent. */
interface Command {
  type?: string;
  prefix?: string;
  count?: number;
  at?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
const send = (message: Record<string, unknown>, then?: () => void) =>
  process.send?.(message, undefined, {}, () => then?.());

function makeStore(): Store {
  if (config.store === 'sqlite') return sqliteStore({ path: config.path ?? '' });
  if (config.store === 'nats')
    return natsStore({ servers: config.databaseUrl ?? '', prefix: config.schema ?? 'chime' });
  return postgresStore({
    connectionString: config.databaseUrl ?? '',
    schema: config.schema ?? 'chime',
    applicationName: config.schema ?? 'chime',
  });
}

const wall = new WallClock();
const scheduler = createScheduler({
  store: makeStore(),
  instanceId: config.instanceId,
  logger: silent,
  ...(config.concurrency === undefined ? {} : { concurrency: config.concurrency }),
  ...(config.prefetch === undefined ? {} : { prefetch: config.prefetch }),
});
let lines: string[] = [];
let fires = 0;
let errors = 0;
let succeeded = 0;
let lastDoneAt = Number.NaN;
// The job's index rides in its payload: reading `ctx.job` would build the job's public view.
scheduler.setHandler((ctx) => {
  fires++;
  lines.push(`${String(ctx.payload)},${ctx.fireAt.getTime()},${wall.now().toFixed(3)}\n`);
});
scheduler.on('error', () => void errors++);
if (config.outcomes) {
  // Emitted once the finish write has returned: the outcome is recorded in the store.
  scheduler.on('execution:succeeded', () => {
    succeeded++;
    lastDoneAt = wall.now();
  });
}

function flush(): void {
  if (lines.length === 0) return;
  const text = lines.join('');
  lines = [];
  appendFileSync(config.out, text);
}

writeFileSync(config.out, '');
const flusher = setInterval(flush, 1_000);

// CPU over the measured window (tick).
let cpuAtStart: NodeJS.CpuUsage | undefined;
let cpuMs = Number.NaN;
if (config.tick) {
  const { startAt, windowEnd } = config.tick;
  setTimeout(() => (cpuAtStart = process.cpuUsage()), Math.max(0, startAt - Date.now()));
  setTimeout(
    () => {
      if (!cpuAtStart) return;
      const used = process.cpuUsage(cpuAtStart);
      cpuMs = (used.user + used.system) / 1000;
    },
    Math.max(0, windowEnd - Date.now()),
  );
}

/**
 * Resolves once `peers` instances are listed and this instance has shown a
 * sign of life since (its engine clock: local clock plus the store's skew):
 * that beat's answer, which sets its share, counted them all.
 */
async function awaitPeers(s: Scheduler, peers: number): Promise<void> {
  let allSeenAt = Number.POSITIVE_INFINITY;
  for (;;) {
    const live = await s.instances();
    const engineNow = Date.now() + s.status().clockSkewMs;
    if (live.length >= peers) {
      allSeenAt = Math.min(allSeenAt, engineNow);
      const me = live.find((instance) => instance.id === config.instanceId);
      if (me && Date.parse(me.lastSeenAt) > allSeenAt) return;
    }
    await sleep(100);
  }
}

/** Submits `count` one-shot jobs `<prefix><i>` due at `at`, each with its index as payload. */
async function submitBurst(prefix: string, count: number, at: number): Promise<void> {
  const started = performance.now();
  const definitions = Array.from({ length: count }, (_, i) => ({
    id: `${prefix}${i}`,
    schedule: once(new Date(at)),
    payload: i,
  }));
  const via = await submitAll(scheduler, definitions);
  send({ type: 'submitted', ms: performance.now() - started, via });
}

function stop(): void {
  void scheduler.stop({ timeoutMs: 5_000 }).then(() => {
    clearInterval(flusher);
    flush();
    const windowMs = config.tick ? config.tick.windowEnd - config.tick.startAt : Number.NaN;
    const stopped: WorkerStopped = { fires, errors, cpuMs, windowMs, succeeded, lastDoneAt };
    send({ type: 'stopped', ...stopped }, () => process.exit(0));
  });
}

process.on('message', (message: Command) => {
  if (message.type === 'stop') stop();
  if (message.type === 'progress') send({ type: 'progress', fires, succeeded });
  if (message.type === 'submit') {
    void submitBurst(message.prefix ?? '', message.count ?? 0, message.at ?? Date.now());
  }
});

await scheduler.start();
if (config.tick) {
  const schedule = every('1s', { startAt: new Date(config.tick.startAt) });
  for (let i = 0; i < config.tick.jobs; i++) {
    await scheduler.ensureJob({ id: `tick-${i}`, schedule, payload: i });
  }
}
if (config.peers !== undefined) await awaitPeers(scheduler, config.peers);
send({ type: 'ready', at: Date.now() });
