/**
 * One scheduler instance of the `tick` workload, in a process of its own
 * (spawned through `worker-handle.ts` with an IPC channel). Configured by one JSON argument
 * ({@link TickWorkerConfig}). It declares the workload's jobs with `ensureJob`
 * — as every instance of a deployment does at boot — and records every
 * handler call as `jobIndex,fireAtMs,startMs` to its own file. Messages:
 *
 *   worker → parent: { type: 'ready', at }                      jobs declared, scheduler running
 *                    { type: 'stopped', fires, errors, cpuMs, windowMs }
 *   parent → worker: { type: 'stop' }                            stop, flush, exit
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { createScheduler, every, postgresStore, sqliteStore, type Store } from '../src/index.js';
import { WallClock } from './lib.js';

export interface TickWorkerConfig {
  store: 'sqlite' | 'postgres';
  /** SQLite: the database file. */
  path?: string;
  /** Postgres: connection string and schema. */
  databaseUrl?: string;
  schema?: string;
  instanceId: string;
  jobs: number;
  /** The common `startAt` of every job's `every('1s')` schedule (epoch ms). */
  startAt: number;
  /** End of the measured window (epoch ms): CPU is measured over [startAt, windowEnd]. */
  windowEnd: number;
  /** Attempts run at once; absent: the library default. */
  concurrency?: number;
  /** The record file (one line per handler call). */
  out: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as TickWorkerConfig;
const send = (message: Record<string, unknown>, then?: () => void) =>
  process.send?.(message, undefined, {}, () => then?.());

function makeStore(): Store {
  if (config.store === 'sqlite') return sqliteStore({ path: config.path ?? '' });
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
  logger: pino({ level: 'silent' }),
  ...(config.concurrency === undefined ? {} : { concurrency: config.concurrency }),
});
let lines: string[] = [];
let fires = 0;
let errors = 0;
// The job's index rides in its payload: reading `ctx.job` would build the job's public view.
scheduler.setHandler((ctx) => {
  fires++;
  lines.push(`${String(ctx.payload)},${ctx.fireAt.getTime()},${wall.now().toFixed(3)}\n`);
});
scheduler.on('error', () => void errors++);

function flush(): void {
  if (lines.length === 0) return;
  const text = lines.join('');
  lines = [];
  appendFileSync(config.out, text);
}

writeFileSync(config.out, '');
const flusher = setInterval(flush, 1_000);

// CPU over the measured window.
let cpuAtStart: NodeJS.CpuUsage | undefined;
let cpuMs = Number.NaN;
setTimeout(() => (cpuAtStart = process.cpuUsage()), Math.max(0, config.startAt - Date.now()));
setTimeout(
  () => {
    if (!cpuAtStart) return;
    const used = process.cpuUsage(cpuAtStart);
    cpuMs = (used.user + used.system) / 1000;
  },
  Math.max(0, config.windowEnd - Date.now()),
);

await scheduler.start();
const schedule = every('1s', { startAt: new Date(config.startAt) });
for (let i = 0; i < config.jobs; i++) {
  await scheduler.ensureJob({ id: `tick-${i}`, schedule, payload: i });
}
send({ type: 'ready', at: Date.now() });

process.on('message', (message: { type?: string }) => {
  if (message.type !== 'stop') return;
  void scheduler.stop({ timeoutMs: 5_000 }).then(() => {
    clearInterval(flusher);
    flush();
    send(
      {
        type: 'stopped',
        fires,
        errors,
        cpuMs,
        windowMs: config.windowEnd - config.startAt,
      },
      () => process.exit(0),
    );
  });
});
