/**
 * `chime serve` on Postgres through a database that refuses connections, one
 * that black-holes them, and one that restarts (its backends terminated, then
 * refused), for 20 s each (issue 18): the service stays up, `/readyz` answers 503 within 5 s of
 * the cut and 200 within 5 s of the return, no error escapes, and every fire
 * of the window is accounted for once — run within its misfire grace, or
 * recorded missed — with none run twice and none started beyond its grace.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { quoteIdentifier } from '../src/stores/postgres/identifiers.js';
import { call, startReceiver, startTestService, waitFor } from './service/harness.js';
import { SERVICES, serviceAvailable, uniqueName } from './helpers/services.js';
import { TcpProxy } from './helpers/tcp-proxy.js';

const available = await serviceAvailable('postgres');
const JOBS = 10;
const GRACE_MS = 5_000;

/** Polls `/readyz` every 100 ms until it answers `status`; the ms it took. */
async function readyzBecomes(url: string, status: number, withinMs: number): Promise<number> {
  const from = Date.now();
  while (Date.now() - from < withinMs) {
    const answer = await call(url, 'GET', '/readyz').catch(() => undefined);
    if (answer?.status === status) return Date.now() - from;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`/readyz did not answer ${status} within ${withinMs} ms`);
}

describe.runIf(available)('a Postgres outage under chime serve', () => {
  const admin = new pg.Pool({ connectionString: SERVICES.postgres.url });
  const base = uniqueName('chime_outage');
  afterAll(async () => {
    for (const fault of ['refused', 'black_holed', 'restarted'])
      await admin.query(
        `DROP SCHEMA IF EXISTS ${quoteIdentifier(`${base}_${fault}`, '/schema')} CASCADE`,
      );
    await admin.end();
  });

  /**
   * How the database goes away, and comes back. A restart: the server ends
   * every backend of chime's connections (`pg_terminate_backend`, as a
   * restart does), then refuses connections until it is back.
   */
  const faults = {
    refused: { cut: (p: TcpProxy) => (p.block(), p.cut()), back: (p: TcpProxy) => p.unblock() },
    'black-holed': { cut: (p: TcpProxy) => p.blackHole(), back: (p: TcpProxy) => p.restore() },
    restarted: {
      cut: async (p: TcpProxy) => {
        p.block();
        const { rows } = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE client_addr = '127.0.0.1' AND client_port = ANY($1::int[])`,
          [p.upstreamPorts()],
        );
        // Its pool, its LISTEN connection and its instance lock's connection, at least.
        expect(rows.length).toBeGreaterThanOrEqual(3);
        p.cut();
      },
      back: (p: TcpProxy) => p.unblock(),
    },
  };

  const schemaOf = (fault: string) => `${base}_${fault.replace('-', '_')}`;

  it.each(Object.keys(faults) as (keyof typeof faults)[])(
    '%s for 20 s: 503 then 200 within 5 s, every fire once or missed, none beyond its grace',
    async (fault) => {
      const proxy = await new TcpProxy(SERVICES.postgres.host, SERVICES.postgres.port).start();
      const receiver = await startReceiver();
      const url = `postgres://postgres@127.0.0.1:${proxy.port}/test?schema=${schemaOf(fault)}`;
      const errors: string[] = [];
      const onError = (err: unknown) => errors.push(String(err));
      process.on('unhandledRejection', onError);
      const chime = await startTestService({ 'database-url': url });
      try {
        const t0 = Math.ceil((Date.now() + 2_000) / 1_000) * 1_000;
        for (let i = 0; i < JOBS; i++) {
          const job = {
            id: `tick-${i}`,
            schedule: { kind: 'interval', every: '1s', startAt: new Date(t0).toISOString() },
            misfireGrace: '5s',
            target: { type: 'http', url: `${receiver.url}/fire`, method: 'POST' },
          };
          expect((await call(chime.url, 'POST', '/v1/jobs', { body: job })).status).toBe(201);
        }
        await new Promise((resolve) => setTimeout(resolve, t0 + 4_000 - Date.now()));

        await faults[fault].cut(proxy);
        const cutAt = Date.now();
        const notReadyAfter = await readyzBecomes(chime.url, 503, 5_000);
        await new Promise((resolve) => setTimeout(resolve, cutAt + 20_000 - Date.now()));
        faults[fault].back(proxy);
        const backAt = Date.now();
        const readyAfter = await readyzBecomes(chime.url, 200, 5_000);
        await new Promise((resolve) => setTimeout(resolve, backAt + 8_000 - Date.now()));
        console.info(`${fault}: /readyz 503 after ${notReadyAfter} ms, 200 ${readyAfter} ms after`);

        // The service answered throughout, and nothing escaped.
        expect((await call(chime.url, 'GET', '/healthz')).status).toBe(200);
        expect(errors).toEqual([]);
        await waitFor(async () => {
          const { rows } = await admin.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM ${quoteIdentifier(schemaOf(fault), '/schema')}.executions
           WHERE status IN ('scheduled', 'running') AND fire_at < $1`,
            [backAt + 6_000],
          );
          return rows[0]?.n === 0 ? true : undefined;
        }, 'the fires before the return to end');
        const calls = receiver.requests.map((r) => ({
          job: String(r.headers['x-chime-job-id']),
          fireAt: Date.parse(String(r.headers['x-chime-fire-at'])),
          key: String(r.headers['idempotency-key']),
          at: r.at,
        }));
        const { rows } = await admin.query<{ job_id: string; fire_at: string; status: string }>(
          `SELECT job_id, fire_at, status FROM ${quoteIdentifier(schemaOf(fault), '/schema')}.executions
         WHERE fire_at >= $1 AND fire_at < $2`,
          [t0, backAt + 5_000],
        );
        const status = new Map(rows.map((r) => [`${r.job_id}@${r.fire_at}`, r.status]));
        const seen = new Set<string>();
        for (const c of calls) {
          const key = `${c.job}@${c.fireAt}`;
          expect(seen.has(key), `${key} ran twice`).toBe(false);
          seen.add(key);
          // None started beyond its grace (a second of tolerance for the call's way here).
          expect(c.at - c.fireAt, `${key} started late`).toBeLessThanOrEqual(GRACE_MS + 1_000);
        }
        const unaccounted: string[] = [];
        for (let i = 0; i < JOBS; i++) {
          for (let at = t0; at < backAt + 5_000; at += 1_000) {
            const key = `tick-${i}@${at}`;
            const s = status.get(key);
            if (!(seen.has(key) && s === 'succeeded') && s !== 'missed') unaccounted.push(key);
          }
        }
        expect(unaccounted).toEqual([]);
      } finally {
        process.off('unhandledRejection', onError);
        await chime.close();
        await receiver.close();
        await proxy.stop();
      }
    },
    60_000,
  );
});
