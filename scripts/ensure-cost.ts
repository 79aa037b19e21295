/**
 * What an unchanged ensure of 10,000 jobs costs — jobs as code applies its
 * whole set on every deploy: this process's CPU per `ensureJobs` of
 * definitions the store already has (nothing written: checked), and per
 * pass of the "unchanged?" decision alone (`writeFor` on the records read).
 * The first call warms up and is not printed. On the memory store, or on
 * Postgres in a fresh schema (dropped afterwards).
 *
 *   npx tsx scripts/ensure-cost.ts [memory|postgres] [calls=8]
 */
import pg from 'pg';
import { silent } from '../bench/lib.js';
import {
  createScheduler,
  cron,
  memoryStore,
  postgresStore,
  type JobDefinition,
  type Store,
} from '../src/index.js';
import { writeFor } from '../src/scheduler/job-writes.js';

const KIND = process.argv[2] ?? 'memory';
const CALLS = Number(process.argv[3] ?? 8);
const JOBS = 10_000;
const URL = process.env.CHIME_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `chime_ensure_${process.pid}`;

/** A job as a jobs-as-code file declares one: a cron with its target, policies and metadata. */
function job(i: number): JobDefinition {
  return {
    id: `job-${String(i).padStart(5, '0')}`,
    schedule: cron(`${i % 60} ${i % 24} * * *`, { tz: 'Europe/Berlin' }),
    target: { type: 'http', url: `https://api.example.com/tasks/${i}`, method: 'POST' },
    payload: { task: i, batch: 'nightly', options: { dryRun: false, limit: 500 } },
    metadata: { team: `team-${i % 20}`, owner: 'jobs-as-code' },
    retry: { maxAttempts: 5, backoff: 'exponential', initialDelay: '10s' },
    timeout: '5m',
    overlap: 'forbid',
  };
}

const store: Store =
  KIND === 'postgres' ? postgresStore({ connectionString: URL, schema }) : memoryStore();
let writes = 0;
const counted = new Proxy(store, {
  get(target, prop, receiver) {
    if (prop === 'jobsWrite') writes++;
    return Reflect.get(target, prop, receiver) as unknown;
  },
});
const scheduler = createScheduler({ store: counted, logger: silent });

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return Math.round((used.user + used.system) / 1000);
}

try {
  await scheduler.start();
  const definitions = Array.from({ length: JOBS }, (_, i) => job(i));
  await scheduler.ensureJobs(definitions);
  const stored = await store.jobsGet({ ids: definitions.map((d) => d.id ?? '') });
  console.log(`${KIND}, ${JOBS} jobs unchanged`);
  console.log('call  ensureJobs CPU ms  decision CPU ms');
  for (let call = 0; call < CALLS; call++) {
    const again = structuredClone(definitions);
    const before = writes;
    let cpu = process.cpuUsage();
    await scheduler.ensureJobs(again);
    const ensure = cpuMs(cpu);
    if (writes !== before) throw new Error('an unchanged ensure wrote');
    cpu = process.cpuUsage();
    for (const [index, current] of stored.entries()) {
      const item = {
        index,
        job: again[index] as JobDefinition,
        id: current.id,
        graceMs: 0,
        path: '',
      };
      if (writeFor(item, current, 0, undefined as never, undefined as never) !== null)
        throw new Error(`${current.id} is not unchanged`);
    }
    const decision = cpuMs(cpu);
    if (call > 0) console.log(`${String(call).padEnd(6)}${String(ensure).padEnd(18)}${decision}`);
  }
} finally {
  await scheduler.stop();
  if (KIND === 'postgres') {
    const admin = new pg.Pool({ connectionString: URL });
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}
