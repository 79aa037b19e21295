/**
 * What a bulk submit of 10,000 one-shot jobs costs on Postgres, call by call:
 * the wall time, this process's CPU (JavaScript, GC) and the CPU of the
 * store's server backends (from `/proc`, so a local server), in a running
 * scheduler on a fresh schema (dropped afterwards). The first call warms up
 * and is not printed. CPU drifts less with the machine's load than the wall.
 *
 *   npx tsx scripts/submit-cost.ts [calls=8]
 */
import pg from 'pg';
import { procCpuMs, silent } from '../bench/lib.js';
import { createScheduler, once, postgresStore } from '../src/index.js';

const CALLS = Number(process.argv[2] ?? 8);
const URL = process.env.CHIME_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `chime_submit_${process.pid}`;
const admin = new pg.Pool({ connectionString: URL });
const store = postgresStore({ connectionString: URL, schema, applicationName: schema });
const scheduler = createScheduler({ store, logger: silent });

async function backendCpuMs(): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
    [schema],
  );
  return [...procCpuMs(rows.map((r) => r.pid)).values()].reduce((a, b) => a + b, 0);
}

try {
  await scheduler.start();
  console.log('call  wall ms  process CPU ms  server CPU ms');
  for (let call = 0; call < CALLS; call++) {
    const at = new Date(Date.now() + 3_600_000);
    const definitions = Array.from({ length: 10_000 }, (_, i) => ({
      id: `submit-${call}-${i}`,
      schedule: once(at),
    }));
    const server = await backendCpuMs();
    const cpu = process.cpuUsage();
    const start = performance.now();
    await scheduler.submitJobs(definitions);
    const wall = performance.now() - start;
    const used = process.cpuUsage(cpu);
    const serverMs = (await backendCpuMs()) - server;
    if (call === 0) continue;
    const js = Math.round((used.user + used.system) / 1000);
    console.log(
      `${String(call).padEnd(6)}${String(Math.round(wall)).padEnd(9)}${String(js).padEnd(16)}${serverMs}`,
    );
  }
} finally {
  await scheduler.stop();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}
