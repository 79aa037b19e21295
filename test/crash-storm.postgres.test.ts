/**
 * A crash storm (issue 18): three `chime serve` processes on one Postgres
 * schema, 200 jobs on a one-second schedule calling an HTTP receiver, one
 * random process SIGKILLed and started again every 5 s. Nothing is missed,
 * no fire gets two executions, and every re-run of a fire (an attempt its
 * killed holder may have made) carries the same execution id. The storm lasts
 * 25 s in CI; `CHIME_STORM_SECONDS` makes it longer.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { quoteIdentifier } from '../src/stores/postgres/identifiers.js';
import { killAll, servingUrl, spawnChime, type Chime } from './helpers/chime-process.js';
import { SERVICES, serviceAvailable, uniqueName } from './helpers/services.js';
import { call } from './service/harness.js';

const available = await serviceAvailable('postgres');
const JOBS = 200;
const STORM_MS = Number(process.env['CHIME_STORM_SECONDS'] ?? 25) * 1_000;
const CALM_MS = 8_000;

/** One call the receiver got. */
interface Fire {
  key: string;
  executionId: string;
  fireAt: number;
  lagMs: number;
}

/** The p-th percentile of `values`. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

describe.runIf(available)('a crash storm on Postgres', () => {
  const admin = new pg.Pool({ connectionString: SERVICES.postgres.url });
  const schema = uniqueName('chime_storm');
  const children: ChildProcess[] = [];
  afterAll(async () => {
    killAll(children);
    await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema, '/schema')} CASCADE`);
    await admin.end();
  });

  it(`three chime serve processes, one SIGKILLed every 5 s: missed 0, each fire one execution`, async () => {
    const fires: Fire[] = [];
    const receiver = createServer((req, res) => {
      const at = Date.now();
      const fireAt = Date.parse(String(req.headers['x-chime-fire-at']));
      fires.push({
        key: `${String(req.headers['x-chime-job-id'])}@${fireAt}`,
        executionId: String(req.headers['idempotency-key']),
        fireAt,
        lagMs: at - fireAt,
      });
      req.resume().on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    const receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const databaseUrl = `${SERVICES.postgres.url}?schema=${schema}`;
    const serve = () =>
      spawnChime(['serve', '--port', '0', '--database-url', databaseUrl], children);
    try {
      const instances: Chime[] = [serve(), serve(), serve()];
      const urls = await Promise.all(instances.map((c) => servingUrl(c, 60_000)));
      const t0 = Math.ceil((Date.now() + 8_000) / 1_000) * 1_000;
      const jobs = Array.from({ length: JOBS }, (_, i) => ({
        id: `storm-${i}`,
        schedule: { kind: 'interval', every: '1s', startAt: new Date(t0).toISOString() },
        target: { type: 'http', url: `${receiverUrl}/fire`, method: 'POST' },
      }));
      for (let i = 0; i < JOBS; i += 20) {
        const answers = await Promise.all(
          jobs
            .slice(i, i + 20)
            .map((body) => call(urls[0] as string, 'POST', '/v1/jobs', { body })),
        );
        for (const answer of answers) expect(answer.status, answer.text).toBe(201);
      }
      expect(Date.now()).toBeLessThan(t0);

      // The storm: every 5 s a random process is killed, and a new one started at once.
      const stormStart = t0 + 2_000;
      const stormEnd = stormStart + STORM_MS;
      let kills = 0;
      for (let at = stormStart; at < stormEnd; at += 5_000) {
        await new Promise((resolve) => setTimeout(resolve, at - Date.now()));
        const victim = Math.floor(Math.random() * instances.length);
        instances[victim]?.child.kill('SIGKILL');
        instances[victim] = serve();
        kills++;
      }
      await new Promise((resolve) => setTimeout(resolve, stormEnd + CALM_MS - Date.now()));
      const last = stormEnd + CALM_MS - 3_000; // fires before this have had time to run
      await Promise.all(
        instances.map(async (c) => {
          c.child.kill('SIGTERM');
          await c.exited;
        }),
      );

      // Every fire of the window ran, once per execution: a re-run keeps its execution id.
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${quoteIdentifier(schema, '/schema')}.executions
         WHERE status = 'missed'`,
      );
      expect(rows[0]?.n).toBe(0);
      const idsOf = new Map<string, Set<string>>();
      for (const f of fires) idsOf.set(f.key, (idsOf.get(f.key) ?? new Set()).add(f.executionId));
      const missing: string[] = [];
      for (let i = 0; i < JOBS; i++)
        for (let at = t0; at < last; at += 1_000)
          if (!idsOf.has(`storm-${i}@${at}`)) missing.push(`storm-${i}@${at - t0}`);
      if (missing.length > 0) {
        // What the store says of the first of them, for the failure's message.
        const { rows: states } = await admin.query(
          `SELECT job_id, fire_at - $1::bigint AS at, status, attempt, lease_owner, lease_until - $1::bigint AS lease_until,
             run_at - $1::bigint AS run_at, attempts FROM ${quoteIdentifier(schema, '/schema')}.executions
           WHERE job_id = ANY($2::text[]) AND fire_at >= $1::bigint + 20000 AND fire_at < $1::bigint + 26000 ORDER BY job_id, fire_at`,
          [t0, missing.slice(0, 3).map((key) => key.split('@')[0])],
        );
        const logs = instances.map((c) => c.lines.filter((l) => Number(l['level']) >= 40));
        expect(missing, JSON.stringify({ states, logs }).slice(0, 6_000)).toEqual([]);
      }
      const twoExecutions = [...idsOf].filter(([, ids]) => ids.size > 1).map(([key]) => key);
      expect(twoExecutions).toEqual([]);
      const reRuns = [...idsOf.keys()].filter(
        (key) => fires.filter((f) => f.key === key).length > 1,
      ).length;
      // Lags of the fires due in a window (a re-run counts with its own lag).
      const lags = (from: number, to: number) =>
        fires.filter((f) => f.fireAt >= from && f.fireAt < to).map((f) => f.lagMs);
      const during = lags(stormStart, stormEnd);
      const after = lags(stormEnd + 2_000, last);
      console.info(
        `crash storm: ${kills} kills in ${STORM_MS / 1000} s, ${fires.length} calls, ` +
          `${reRuns} fires re-run with their execution id; lag p99 during ${percentile(during, 99)} ms, ` +
          `after ${percentile(after, 99)} ms (p50 ${percentile(during, 50)} / ${percentile(after, 50)})`,
      );
    } finally {
      await new Promise<void>((resolve) => {
        receiver.closeAllConnections();
        receiver.close(() => resolve());
      });
    }
  }, 180_000);
});
