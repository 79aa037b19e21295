/**
 * A scheduler instance on a Postgres schema or on NATS in its own process,
 * for the multi-process Postgres and NATS tests (the twin of `instance.ts`).
 * Configured by one JSON argument; prints one JSON line per event on stdout
 * (`ready` once started, `stopped` after a SIGTERM stop); each handler call
 * appends `{instance, jobId, fireAt, executionId, attempt, startedAt}` to
 * `recordFile` — the handlers' own count, independent of the store.
 */
import { appendFileSync } from 'node:fs';
import { pino } from 'pino';
import {
  createScheduler,
  natsStore,
  postgresStore,
  type JobDefinition,
  type SchedulerEventName,
} from '../../src/index.js';

/** The worker's configuration (its one argument, as JSON). */
export interface StoreWorkerConfig {
  /** The Postgres database and schema, unless `nats` is given. */
  connectionString?: string;
  schema?: string;
  /** The NATS servers and bucket prefix (the NATS store instead of Postgres). */
  nats?: { servers: string[]; prefix: string; replicas?: number; timeoutMs?: number };
  instanceId: string;
  recordFile: string;
  /** `application_name` of its connections (to find them in `pg_stat_activity`). */
  applicationName?: string;
  leaseMs?: number;
  heartbeatMs?: number;
  deadAfterMs?: number;
  concurrency?: number;
  pollIntervalMs?: number;
  /** How far ahead fires are planned and leased. */
  horizonMs?: number;
  /** How long each handler call takes. */
  handlerMs?: number;
  result?: string;
  jobs?: JobDefinition[];
  /** Events printed as lines. @defaultValue all of them */
  events?: SchedulerEventName[];
  /** Prints a `slow` line for each store call that took longer (ms): a trace of where fires wait. */
  traceSlowMs?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as StoreWorkerConfig;
const say = (event: string, data: Record<string, unknown> = {}) =>
  process.stdout.write(
    `${JSON.stringify({ event, instance: config.instanceId, at: Date.now(), ...data })}\n`,
  );

const store = config.nats
  ? natsStore(config.nats)
  : postgresStore({
      connectionString: config.connectionString ?? '',
      ...(config.schema === undefined ? {} : { schema: config.schema }),
      applicationName: config.applicationName ?? 'chime',
    });

/** The store, its calls that take longer than `slowMs` printed as `slow` lines. */
function traced<S extends object>(inner: S, slowMs: number): S {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const from = Date.now();
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        const done = (failed: boolean) => {
          const ms = Date.now() - from;
          if (ms >= slowMs) say('slow', { call: String(prop), from, ms, failed });
        };
        result.then(
          () => done(false),
          () => done(true),
        );
        return result;
      };
    },
  });
}

const scheduler = createScheduler({
  store: config.traceSlowMs === undefined ? store : traced(store, config.traceSlowMs),
  instanceId: config.instanceId,
  leaseMs: config.leaseMs ?? 30_000,
  ...(config.heartbeatMs === undefined ? {} : { heartbeatMs: config.heartbeatMs }),
  ...(config.deadAfterMs === undefined ? {} : { deadAfterMs: config.deadAfterMs }),
  concurrency: config.concurrency ?? 200,
  pollIntervalMs: config.pollIntervalMs ?? 1_000,
  ...(config.horizonMs === undefined ? {} : { horizonMs: config.horizonMs }),
  logger: pino({ level: 'silent' }),
});

scheduler.setHandler(async (ctx) => {
  const record = {
    instance: config.instanceId,
    jobId: ctx.job.id,
    fireAt: ctx.fireAt.getTime(),
    executionId: ctx.executionId,
    attempt: ctx.attempt,
    startedAt: Date.now(),
  };
  appendFileSync(config.recordFile, `${JSON.stringify(record)}\n`);
  if (config.handlerMs) await new Promise((resolve) => setTimeout(resolve, config.handlerMs));
  return config.result ?? config.instanceId;
});

const printed: readonly SchedulerEventName[] = config.events ?? [
  'execution:started',
  'execution:succeeded',
  'execution:failed',
  'lease:lost',
  'error',
];
for (const event of printed) {
  scheduler.on(event, (payload) =>
    say(event, { payload: JSON.parse(JSON.stringify(payload)) as unknown }),
  );
}

await scheduler.start();
for (const job of config.jobs ?? []) await scheduler.ensureJob(job);
say('ready');

process.on('SIGTERM', () => {
  void scheduler.stop({ timeoutMs: 5_000 }).then(() => {
    say('stopped');
    process.exit(0);
  });
});
