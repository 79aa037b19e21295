/**
 * A scheduler instance in its own process, for the multi-process tests.
 * Configured by one JSON argument; prints one JSON line per event on stdout;
 * each handler call appends `{instance, jobId, fireAt, executionId, attempt, startedAt}`
 * to `recordFile` (the handlers' own count, independent of the store).
 */
import { appendFileSync } from 'node:fs';
import { pino } from 'pino';
import { createScheduler, sqliteStore, type JobDefinition } from '../../src/index.js';

interface WorkerConfig {
  dbPath: string;
  instanceId: string;
  recordFile: string;
  leaseMs?: number;
  heartbeatMs?: number;
  deadAfterMs?: number;
  handlerMs?: number;
  result?: string;
  jobs?: JobDefinition[];
}

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
const say = (event: string, data: Record<string, unknown> = {}) =>
  process.stdout.write(
    `${JSON.stringify({ event, instance: config.instanceId, at: Date.now(), ...data })}\n`,
  );

const scheduler = createScheduler({
  store: sqliteStore({ path: config.dbPath }),
  instanceId: config.instanceId,
  leaseMs: config.leaseMs ?? 30_000,
  ...(config.heartbeatMs === undefined ? {} : { heartbeatMs: config.heartbeatMs }),
  ...(config.deadAfterMs === undefined ? {} : { deadAfterMs: config.deadAfterMs }),
  concurrency: 200,
  logger: pino({ level: 'silent' }),
});

scheduler.setHandler(async (ctx) => {
  appendFileSync(
    config.recordFile,
    `${JSON.stringify({ instance: config.instanceId, jobId: ctx.job.id, fireAt: ctx.fireAt.getTime(), executionId: ctx.executionId, attempt: ctx.attempt, startedAt: Date.now() })}\n`,
  );
  say('handler:started', { executionId: ctx.executionId, attempt: ctx.attempt });
  if (config.handlerMs) await new Promise((resolve) => setTimeout(resolve, config.handlerMs));
  return config.result ?? config.instanceId;
});
for (const event of [
  'execution:succeeded',
  'execution:failed',
  'lease:lost',
  'instance:dead',
  'instance:declared-dead',
  'error',
] as const) {
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
