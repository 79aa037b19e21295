/**
 * Operating schedules over real HTTP (issue 19): `maxFires` in a job, its
 * schema and its preview; a backfill, its dry run, its refusals and the
 * backfill header an HTTP target receives. A `chime serve` on an ephemeral
 * port and a fresh SQLite file, and a recording HTTP receiver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/model/job.js';
import type { FirePreview } from '../../src/schedules/preview.js';
import type { Problem } from '../../src/service/problem.js';
import type { BackfillResult } from '../../src/scheduler/backfill.js';
import type { Execution } from '../../src/model/execution.js';
import type { Page } from '../../src/scheduler/scheduler.js';
import {
  call,
  startReceiver,
  startTestService,
  waitFor,
  type CallOptions,
  type Receiver,
  type TestService,
} from './harness.js';

let svc: TestService;
let receiver: Receiver;
const api = <T = unknown>(method: string, path: string, options?: CallOptions) =>
  call<T>(svc.url, method, path, options);
const hourly = { kind: 'interval', every: '1h', startAt: '2030-01-01T00:00:00Z' };

beforeAll(async () => {
  receiver = await startReceiver();
  svc = await startTestService();
});

afterAll(async () => {
  await svc?.close();
  await receiver?.close();
});

describe('maxFires', () => {
  it('is in the job schema, stored, shown with its fireCount, and kept by a PATCH', async () => {
    const schema = await api<{ properties: Record<string, unknown> }>('GET', '/v1/schema/job');
    expect(schema.json.properties['maxFires']).toMatchObject({ type: 'integer', minimum: 1 });
    const put = await api<Job>('PUT', '/v1/jobs/limited', {
      body: { schedule: hourly, maxFires: 3 },
    });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ maxFires: 3, fireCount: 0 });
    const patched = await api<Job>('PATCH', '/v1/jobs/limited', { body: { paused: true } });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ maxFires: 3, fireCount: 0, paused: true });
  });

  it('a maxFires that is no positive integer is a problem at /maxFires', async () => {
    const bad = await api<Problem>('PUT', '/v1/jobs/bad-limit', {
      body: { schedule: hourly, maxFires: 0 },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.path).toBe('/maxFires');
    expect((await api('GET', '/v1/jobs/bad-limit')).status).toBe(404);
  });

  it('GET /v1/schedules/preview?maxFires= lists no more than the fires left', async () => {
    const preview = await api<{ fires: FirePreview[] }>(
      'GET',
      '/v1/schedules/preview?every=1h&startAt=2030-01-01T00:00:00Z&count=5&maxFires=2&from=2029-12-31T00:00:00Z',
    );
    expect(preview.status).toBe(200);
    expect(preview.json.fires.map((f) => f.utc)).toEqual([
      '2030-01-01T00:00:00.000Z',
      '2030-01-01T01:00:00.000Z',
    ]);
  });
});

describe('POST /v1/jobs/{id}/backfill', () => {
  const window = { from: '2026-03-01T00:00:00Z', to: '2026-03-01T05:30:00Z' };
  const fires = [0, 1, 2, 3, 4, 5].map((h) => `2026-03-01T0${h}:00:00.000Z`);

  it('a dry run lists the fires (200), the backfill adds them (202), and the target gets X-Chime-Backfill', async () => {
    const put = await api('PUT', '/v1/jobs/hourly-hook', {
      body: {
        schedule: { kind: 'cron', expr: '0 * * * *', startAt: '2026-01-01T00:00:00Z' },
        target: { type: 'http', url: `${receiver.url}/hook` },
      },
    });
    expect(put.status).toBeLessThan(300);
    const dry = await api<BackfillResult>('POST', '/v1/jobs/hourly-hook/backfill', {
      body: { ...window, dryRun: true },
    });
    expect(dry.status).toBe(200);
    expect(dry.json).toEqual({ jobId: 'hourly-hook', dryRun: true, fires, existing: [] });
    const real = await api<BackfillResult>('POST', '/v1/jobs/hourly-hook/backfill', {
      body: window,
    });
    expect(real.status).toBe(202);
    expect(real.json.fires).toEqual(fires);
    await waitFor(
      async () =>
        receiver.requests.filter((r) => r.url === '/hook').length >= 6 ? true : undefined,
      'six calls',
    );
    const calls = receiver.requests.filter((r) => r.url === '/hook');
    expect(calls.map((r) => r.headers['x-chime-fire-at']).sort()).toEqual(fires);
    expect(calls.every((r) => r.headers['x-chime-backfill'] === 'true')).toBe(true);
    const page = await api<Page<Execution>>('GET', '/v1/jobs/hourly-hook/executions');
    expect(page.json.items.every((e) => e.backfill === true)).toBe(true);
    const again = await api<BackfillResult>('POST', '/v1/jobs/hourly-hook/backfill', {
      body: window,
    });
    expect(again.json).toMatchObject({ fires: [], existing: fires });
  });

  it('answers problems: a window in the future, a body without to, an unknown job', async () => {
    const future = await api<Problem>('POST', '/v1/jobs/hourly-hook/backfill', {
      body: { from: window.from, to: '2999-01-01T00:00:00Z' },
    });
    expect(future.status).toBe(400);
    expect(future.json).toMatchObject({ code: 'CHIME_ERR_INVALID_INPUT', path: '/to' });
    const missing = await api<Problem>('POST', '/v1/jobs/hourly-hook/backfill', {
      body: { from: window.from },
    });
    expect(missing.status).toBe(400);
    const unknown = await api<Problem>('POST', '/v1/jobs/nope/backfill', { body: window });
    expect(unknown.status).toBe(404);
  });

  it('--max-backfill-fires bounds a backfill: past it, 400 CHIME_ERR_BACKFILL_TOO_LARGE and nothing added', async () => {
    const small = await startTestService({ 'max-backfill-fires': '5' });
    try {
      const hourly = { kind: 'cron', expr: '0 * * * *' };
      await call(small.url, 'PUT', '/v1/jobs/h', { body: { schedule: hourly } });
      const refused = await call<Problem>(small.url, 'POST', '/v1/jobs/h/backfill', {
        body: window,
      });
      expect(refused.status).toBe(400);
      expect(refused.json).toMatchObject({ code: 'CHIME_ERR_BACKFILL_TOO_LARGE', path: '/to' });
      const page = await call<Page<Execution>>(small.url, 'GET', '/v1/jobs/h/executions');
      expect(page.json.items).toEqual([]);
    } finally {
      await small.close();
    }
  });
});

describe('custom schedules over HTTP', () => {
  it('a job names one registered in the library; the preview shows its fires; an unknown one is a problem', async () => {
    svc.service.scheduler.schedule('every-two-hours', (after) => {
      const ms = 2 * 3_600_000;
      return new Date((Math.floor(after.getTime() / ms) + 1) * ms);
    });
    const put = await api<Job>('PUT', '/v1/jobs/two-hourly', {
      body: { schedule: { kind: 'custom', name: 'every-two-hours' } },
    });
    expect(put.status).toBe(200);
    expect(put.json.schedule).toEqual({ kind: 'custom', name: 'every-two-hours' });
    const preview = await api<{ fires: FirePreview[] }>(
      'GET',
      '/v1/schedules/preview?custom=every-two-hours&params=%7B%7D&count=2&from=2030-01-01T01:00:00Z',
    );
    expect(preview.status).toBe(200);
    expect(preview.json.fires.map((f) => f.utc)).toEqual([
      '2030-01-01T02:00:00.000Z',
      '2030-01-01T04:00:00.000Z',
    ]);
    const unknown = await api<Problem>('PUT', '/v1/jobs/holidays', {
      body: { schedule: { kind: 'custom', name: 'holidays' } },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({
      code: 'CHIME_ERR_SCHEDULE_KIND_UNKNOWN',
      path: '/schedule/name',
    });
    const unknownPreview = await api<Problem>('GET', '/v1/schedules/preview?custom=holidays');
    expect(unknownPreview.status).toBe(400);
    expect(unknownPreview.json.path).toBe('/custom');
  });
});
