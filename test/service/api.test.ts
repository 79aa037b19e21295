/**
 * The whole management API over real HTTP: a `chime serve` on an ephemeral
 * port and a fresh SQLite file, called with fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Compile } from 'typebox/compile';
import type { TSchema } from 'typebox';
import type { Execution } from '../../src/model/execution.js';
import type { Job } from '../../src/model/job.js';
import type { Page } from '../../src/scheduler/scheduler.js';
import { DASHBOARD_ROUTES } from '../../src/service/dashboard.js';
import type { Problem } from '../../src/service/problem.js';
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
const handled: { payload: unknown; executionId: string }[] = [];

const api = <T = unknown>(method: string, path: string, options?: CallOptions) =>
  call<T>(svc.url, method, path, options);
const daily = { kind: 'cron', expr: '0 3 * * *', tz: 'Europe/Berlin' };

beforeAll(async () => {
  receiver = await startReceiver();
  svc = await startTestService();
  svc.service.scheduler.handle('record', async (ctx) => {
    handled.push({ payload: ctx.payload, executionId: ctx.executionId });
    return { seen: ctx.payload };
  });
});

afterAll(async () => {
  await svc?.close();
  await receiver?.close();
});

/** The executions of a job, once `done` holds for them. */
async function executionsOf(id: string, done: (items: Execution[]) => boolean) {
  return waitFor(async () => {
    const { json } = await api<Page<Execution>>('GET', `/v1/jobs/${id}/executions`);
    return done(json.items) ? json.items : undefined;
  }, `executions of ${id}`);
}

describe('jobs', () => {
  it('POST /v1/jobs creates a job: 201 with its Location; 409 when the id is taken', async () => {
    const created = await api<Job>('POST', '/v1/jobs', {
      body: { id: 'post-1', schedule: daily, metadata: { team: 'a' } },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/v1/jobs/post-1');
    expect(created.json).toMatchObject({
      id: 'post-1',
      schedule: daily,
      target: { type: 'handler' },
      metadata: { team: 'a' },
      paused: false,
      version: 1,
    });
    expect(created.json.nextFireAt).toMatch(/Z$/);

    const fetched = await api<Job>('GET', created.headers.get('location') ?? '');
    expect(fetched.json).toEqual(created.json);

    const again = await api<Problem>('POST', '/v1/jobs', {
      body: { id: 'post-1', schedule: { kind: 'interval', every: '1h' } },
    });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(again.json).toMatchObject({ code: 'CHIME_ERR_JOB_EXISTS', path: '/id', status: 409 });
    expect((await api<Job>('GET', '/v1/jobs/post-1')).json.schedule).toEqual(daily);
  });

  it('POST /v1/jobs without an id generates one', async () => {
    const created = await api<Job>('POST', '/v1/jobs', { body: { schedule: daily } });
    expect(created.status).toBe(201);
    expect(created.json.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.headers.get('location')).toBe(`/v1/jobs/${created.json.id}`);
    expect((await api('DELETE', `/v1/jobs/${created.json.id}`)).status).toBe(204);
  });

  it('PUT /v1/jobs/{id} creates, is idempotent (version unchanged on repeat), and updates', async () => {
    const definition = { schedule: daily, payload: { n: 1 }, retry: { maxAttempts: 2 } };
    const first = await api<Job>('PUT', '/v1/jobs/put-1', { body: definition });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ id: 'put-1', version: 1, payload: { n: 1 } });

    const repeat = await api<Job>('PUT', '/v1/jobs/put-1', { body: definition });
    expect(repeat.status).toBe(200);
    expect(repeat.json.version).toBe(1);
    expect(repeat.json.updatedAt).toBe(first.json.updatedAt);
    // The body may name the path's id.
    const named = await api<Job>('PUT', '/v1/jobs/put-1', { body: { ...definition, id: 'put-1' } });
    expect(named.json.version).toBe(1);

    const changed = await api<Job>('PUT', '/v1/jobs/put-1', {
      body: { ...definition, payload: { n: 2 } },
    });
    expect(changed.json).toMatchObject({ version: 2, payload: { n: 2 } });
  });

  it('GET /v1/jobs filters by metadata.<key>, paused and targetType, and pages with a cursor', async () => {
    const http = { type: 'http', url: `${receiver.url}/never` };
    const jobs = [
      { id: 'list-a1', metadata: { team: 'alpha', tier: 'gold' } },
      { id: 'list-a2', metadata: { team: 'alpha', tier: 'silver' }, paused: true },
      { id: 'list-b1', metadata: { team: 'beta' }, target: http },
      { id: 'list-b2', metadata: { team: 'beta' }, target: http, paused: true },
      { id: 'list-c1', metadata: { team: 'gamma' } },
    ];
    for (const job of jobs) {
      expect(
        (await api('PUT', `/v1/jobs/${job.id}`, { body: { ...job, schedule: daily } })).status,
      ).toBe(200);
    }
    const ids = async (query: string) => {
      const page = await api<Page<Job>>('GET', `/v1/jobs?${query}`);
      expect(page.status).toBe(200);
      return page.json.items.map((j) => j.id);
    };
    expect(await ids('metadata.team=alpha')).toEqual(['list-a1', 'list-a2']);
    expect(await ids('metadata.team=alpha&metadata.tier=gold')).toEqual(['list-a1']);
    expect(await ids('metadata.team=beta&paused=true')).toEqual(['list-b2']);
    expect(await ids('metadata.team=alpha&paused=false')).toEqual(['list-a1']);
    expect(await ids('targetType=http')).toEqual(['list-b1', 'list-b2']);
    expect(await ids('targetType=http&paused=false')).toEqual(['list-b1']);
    expect(await ids('metadata.team=nobody')).toEqual([]);

    // Paging: limit 2 over every job, following nextCursor, visits each job once, in id order.
    const all = (await api<Page<Job>>('GET', '/v1/jobs?limit=1000')).json.items.map((j) => j.id);
    expect(all.length).toBeGreaterThanOrEqual(5);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string =
        cursor === null ? 'limit=2' : `limit=2&cursor=${encodeURIComponent(cursor)}`;
      const page: Page<Job> = (await api<Page<Job>>('GET', `/v1/jobs?${query}`)).json;
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((j) => j.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 100);
    expect(seen).toEqual(all);
    expect([...seen].sort()).toEqual(seen);
    expect(pages).toBeGreaterThanOrEqual(3);
    // A filtered listing pages too.
    const first = (await api<Page<Job>>('GET', '/v1/jobs?metadata.team=alpha&limit=1')).json;
    expect(first.items.map((j) => j.id)).toEqual(['list-a1']);
    const second = (
      await api<Page<Job>>(
        'GET',
        `/v1/jobs?metadata.team=alpha&limit=1&cursor=${encodeURIComponent(first.nextCursor ?? '')}`,
      )
    ).json;
    expect(second.items.map((j) => j.id)).toEqual(['list-a2']);
  });

  it('GET, PATCH (JSON merge patch, also application/merge-patch+json) and DELETE one job', async () => {
    await api('PUT', '/v1/jobs/patch-1', {
      body: { schedule: daily, metadata: { a: '1', b: '2' }, payload: { keep: true } },
    });
    const got = await api<Job>('GET', '/v1/jobs/patch-1');
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ id: 'patch-1', metadata: { a: '1', b: '2' }, version: 1 });

    const patched = await api<Job>('PATCH', '/v1/jobs/patch-1', {
      body: { metadata: { b: null, c: '3' }, retry: { maxAttempts: 7 } },
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({
      metadata: { a: '1', c: '3' },
      retry: { maxAttempts: 7 },
      payload: { keep: true },
      schedule: daily,
      version: 2,
    });
    expect(patched.json.metadata).not.toHaveProperty('b');

    const merge = await api<Job>('PATCH', '/v1/jobs/patch-1', {
      body: { schedule: { expr: '0 4 * * *' }, payload: null },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(merge.status).toBe(200);
    expect(merge.json.schedule).toEqual({ ...daily, expr: '0 4 * * *' });
    expect(merge.json).not.toHaveProperty('payload');
    expect(merge.json.version).toBe(3);

    // An empty patch changes nothing.
    expect((await api<Job>('PATCH', '/v1/jobs/patch-1', { body: {} })).json.version).toBe(3);

    const removed = await api('DELETE', '/v1/jobs/patch-1');
    expect(removed.status).toBe(204);
    expect(removed.text).toBe('');
    const gone = await api<Problem>('GET', '/v1/jobs/patch-1');
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({ code: 'CHIME_ERR_JOB_NOT_FOUND', path: '/id' });
    expect((await api('DELETE', '/v1/jobs/patch-1')).status).toBe(404);
  });

  it('pause, resume and trigger (with a payload) a job; its executions are listed', async () => {
    await api('PUT', '/v1/jobs/ops-1', {
      body: { schedule: daily, target: { type: 'handler', name: 'record' }, payload: { p: 'job' } },
    });
    const paused = await api<Job>('POST', '/v1/jobs/ops-1/pause');
    expect(paused.status).toBe(200);
    expect(paused.json).toMatchObject({ paused: true, nextFireAt: null });
    expect((await api<Job>('POST', '/v1/jobs/ops-1/pause')).json.version).toBe(paused.json.version);
    const resumed = await api<Job>('POST', '/v1/jobs/ops-1/resume');
    expect(resumed.json.paused).toBe(false);
    expect(resumed.json.nextFireAt).toMatch(/Z$/);

    const triggered = await api<Execution>('POST', '/v1/jobs/ops-1/trigger', {
      body: { payload: { p: 'override' } },
    });
    expect(triggered.status).toBe(202);
    expect(triggered.json).toMatchObject({
      jobId: 'ops-1',
      trigger: 'manual',
      status: 'scheduled',
      payload: { p: 'override' },
    });
    // Without a body, the job's own payload.
    const plain = await api<Execution>('POST', '/v1/jobs/ops-1/trigger');
    expect(plain.status).toBe(202);

    const items = await executionsOf(
      'ops-1',
      (list) => list.length === 2 && list.every((e) => e.status === 'succeeded'),
    );
    expect(new Set(items.map((e) => e.id))).toEqual(new Set([triggered.json.id, plain.json.id]));
    const byId = new Map(handled.map((h) => [h.executionId, h.payload]));
    expect(byId.get(triggered.json.id)).toEqual({ p: 'override' });
    expect(byId.get(plain.json.id)).toEqual({ p: 'job' });

    const one = await api<Execution>('GET', `/v1/executions/${triggered.json.id}`);
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({
      id: triggered.json.id,
      jobId: 'ops-1',
      status: 'succeeded',
      attempt: 1,
      result: { seen: { p: 'override' } },
    });
    expect(one.json.attempts).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'succeeded' }),
    ]);

    const all = await api<Page<Execution>>('GET', '/v1/executions?status=succeeded&limit=1000');
    expect(all.json.items.map((e) => e.id)).toEqual(
      expect.arrayContaining([triggered.json.id, plain.json.id]),
    );
    const byJob = await api<Page<Execution>>('GET', '/v1/executions?jobId=ops-1');
    expect(byJob.json.items).toHaveLength(2);
    const none = await api<Page<Execution>>('GET', '/v1/jobs/ops-1/executions?status=failed');
    expect(none.json.items).toEqual([]);
    // Paging executions.
    const page1 = (await api<Page<Execution>>('GET', '/v1/jobs/ops-1/executions?limit=1')).json;
    expect(page1.items).toHaveLength(1);
    const page2 = (
      await api<Page<Execution>>(
        'GET',
        `/v1/jobs/ops-1/executions?limit=1&cursor=${encodeURIComponent(page1.nextCursor ?? '')}`,
      )
    ).json;
    expect(page2.items).toHaveLength(1);
    expect(page2.items[0]?.id).not.toBe(page1.items[0]?.id);
  });

  it('an HTTP-target job fires a real request, and its execution shows the recorded status', async () => {
    const at = new Date(Date.now() + 800).toISOString();
    const created = await api<Job>('POST', '/v1/jobs', {
      body: {
        id: 'http-1',
        schedule: { kind: 'once', at },
        target: { type: 'http', url: `${receiver.url}/hook?x=1`, method: 'POST' },
        payload: { hello: 'world' },
      },
    });
    expect(created.status).toBe(201);
    const request = await waitFor(
      () => receiver.requests.find((r) => r.url === '/hook?x=1'),
      'the HTTP target to be called',
    );
    expect(request.method).toBe('POST');
    expect(JSON.parse(request.body)).toEqual({ hello: 'world' });
    expect(request.headers['x-chime-job-id']).toBe('http-1');

    const [execution] = await executionsOf('http-1', (list) => list[0]?.status === 'succeeded');
    expect(execution).toMatchObject({
      jobId: 'http-1',
      trigger: 'schedule',
      fireAt: at,
      status: 'succeeded',
      result: { status: 200, body: '{"ok":true}' },
    });
    expect(request.headers['idempotency-key']).toBe(execution?.id);
    const job = await waitFor(async () => {
      const j = (await api<Job>('GET', '/v1/jobs/http-1')).json;
      return j.completedAt ? j : undefined;
    }, 'the one-shot job to complete');
    expect(job).toMatchObject({ nextFireAt: null, lastOutcome: { status: 'succeeded' } });
  });
});

describe('schedules, schema, OpenAPI', () => {
  it('GET /v1/schedules/preview previews cron with a zone, every and at', async () => {
    const cron = await api<{ fires: { utc: string; local: string; dstShifted: boolean }[] }>(
      'GET',
      '/v1/schedules/preview?cron=30%202%20*%20*%20*&tz=Europe/Berlin&count=2&from=2026-03-28T12:00:00Z',
    );
    expect(cron.status).toBe(200);
    expect(cron.json.fires.map((f) => [f.utc, f.local, f.dstShifted])).toEqual([
      ['2026-03-29T01:00:00.000Z', '2026-03-29T03:00:00+02:00', true],
      ['2026-03-30T00:30:00.000Z', '2026-03-30T02:30:00+02:00', false],
    ]);
    const every = await api<{ schedule: unknown; fires: { utc: string }[] }>(
      'GET',
      '/v1/schedules/preview?every=15m&startAt=2026-01-01T00:00:00Z&from=2026-01-01T00:20:00Z&count=3',
    );
    expect(every.json.schedule).toEqual({
      kind: 'interval',
      every: '15m',
      startAt: '2026-01-01T00:00:00Z',
    });
    expect(every.json.fires.map((f) => f.utc)).toEqual([
      '2026-01-01T00:30:00.000Z',
      '2026-01-01T00:45:00.000Z',
      '2026-01-01T01:00:00.000Z',
    ]);
    const once = await api<{ fires: { utc: string }[] }>(
      'GET',
      '/v1/schedules/preview?at=2030-05-01T08:00:00%2B02:00&from=2026-01-01T00:00:00Z',
    );
    expect(once.json.fires.map((f) => f.utc)).toEqual(['2030-05-01T06:00:00.000Z']);
  });

  it.each([
    ['cron=61%20*%20*%20*%20*', 'CHIME_ERR_SCHEDULE_CRON_INVALID', '/cron'],
    ['cron=0%203%20*%20*%20*&tz=Mars/Olympus', 'CHIME_ERR_SCHEDULE_TZ_INVALID', '/tz'],
    ['every=soon', 'CHIME_ERR_SCHEDULE_INTERVAL_INVALID', '/every'],
    ['every=5m&startAt=yesterday', 'CHIME_ERR_DATE_INVALID', '/startAt'],
    ['at=tomorrow', 'CHIME_ERR_DATE_INVALID', '/at'],
    ['', 'CHIME_ERR_INVALID_INPUT', '/cron'],
    ['cron=%40daily&every=5m', 'CHIME_ERR_INVALID_INPUT', '/cron'],
    ['cron=%40daily&count=0', 'CHIME_ERR_INVALID_INPUT', '/count'],
    ['cron=%40daily&colour=red', 'CHIME_ERR_UNKNOWN_FIELD', '/colour'],
  ])('GET /v1/schedules/preview?%s answers %s at %s', async (query, code, path) => {
    const answer = await api<Problem>('GET', `/v1/schedules/preview?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.json).toMatchObject({ code, path });
  });

  it('GET /v1/schema/job is a JSON Schema that validates a sample job and refuses a bad one', async () => {
    const answer = await api<TSchema>('GET', '/v1/schema/job');
    expect(answer.status).toBe(200);
    const check = Compile(answer.json);
    const sample = {
      id: 'sample-1',
      schedule: { kind: 'cron', expr: '0 3 * * *', tz: 'Europe/Berlin' },
      target: {
        type: 'http',
        url: 'https://example.com/hook',
        method: 'POST',
        auth: { type: 'bearer', token: 't' },
      },
      payload: { any: ['json'] },
      metadata: { team: 'a' },
      retry: { maxAttempts: 5, backoff: 'fixed', initialDelay: '2s' },
      timeout: '30s',
      misfire: 'catch_up',
      overlap: 'forbid',
      onFailure: { type: 'handler', name: 'dead-letter' },
    };
    expect(check.Check(sample)).toBe(true);
    expect(check.Check({ ...sample, colour: 'red' })).toBe(false);
    expect(check.Check({ ...sample, schedule: undefined })).toBe(false);
    expect(check.Check({ ...sample, target: { type: 'http' } })).toBe(false);
  });

  it('GET /openapi.json describes every route fastify has, except itself', async () => {
    const answer = await api<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      'GET',
      '/openapi.json',
    );
    expect(answer.status).toBe(200);
    expect(answer.json.openapi).toMatch(/^3\./);
    const routes = registeredRoutes(svc.service.app.printRoutes({ commonPrefix: false }));
    expect(routes.length).toBeGreaterThanOrEqual(18);
    // The dashboard's pages and files are no part of the API.
    const dashboard = [...DASHBOARD_ROUTES].map((url) => url.replace(/\/?\*$/, '') || '/');
    const missing = routes
      .filter(([, url]) => url !== '/openapi.json')
      .filter(([, url]) => !dashboard.includes(url.replace(/\/?\*$/, '') || '/'))
      .filter(([method]) => method !== 'HEAD')
      .filter(([method, url]) => {
        const path = url.replace(/:([A-Za-z]+)/g, '{$1}');
        return answer.json.paths[path]?.[method.toLowerCase()] === undefined;
      });
    expect(missing).toEqual([]);
    expect(answer.json.paths).not.toHaveProperty('/openapi.json');
    // Our own list, so a route lost from fastify is caught too.
    for (const [method, path] of [
      ['post', '/v1/jobs'],
      ['get', '/v1/jobs'],
      ['put', '/v1/jobs/{id}'],
      ['get', '/v1/jobs/{id}'],
      ['patch', '/v1/jobs/{id}'],
      ['delete', '/v1/jobs/{id}'],
      ['post', '/v1/jobs/{id}/pause'],
      ['post', '/v1/jobs/{id}/resume'],
      ['post', '/v1/jobs/{id}/trigger'],
      ['get', '/v1/jobs/{id}/executions'],
      ['get', '/v1/executions'],
      ['get', '/v1/executions/{id}'],
      ['get', '/v1/instances'],
      ['get', '/v1/schedules/preview'],
      ['get', '/v1/schema/job'],
      ['get', '/v1/events'],
      ['get', '/v1/access'],
      ['get', '/v1/fires/upcoming'],
      ['get', '/v1/stats/recent'],
      ['get', '/healthz'],
      ['get', '/readyz'],
      ['get', '/metrics'],
    ] as const) {
      expect(answer.json.paths[path], `${method} ${path}`).toHaveProperty(method);
    }
  });
});

describe('health, readiness, metrics', () => {
  it('/healthz and /readyz answer 200', async () => {
    const health = await api('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ status: 'ok' });
    const ready = await api('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ status: 'ready', state: 'running' });
  });

  it('/metrics is Prometheus text with chime_fires_total once a job fired', async () => {
    await api('PUT', '/v1/jobs/metrics-1', {
      body: { schedule: daily, target: { type: 'handler', name: 'record' } },
    });
    const before = fires(await api('GET', '/metrics').then((a) => a.text));
    await api('POST', '/v1/jobs/metrics-1/trigger', { body: {} });
    await executionsOf('metrics-1', (list) => list[0]?.status === 'succeeded');
    const answer = await api('GET', '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(answer.text).toMatch(/^# HELP chime_fires_total /m);
    expect(answer.text).toMatch(/^# TYPE chime_fires_total counter$/m);
    expect(fires(answer.text)).toBe(before + 1);
    expect(answer.text).toMatch(/^chime_fire_lag_seconds_count \d+$/m);
    expect(answer.text).toMatch(/^chime_store_call_duration_seconds_count\{/m);
  });

  it('/readyz answers 503 once the scheduler is stopped, while /healthz stays 200', async () => {
    const own = await startTestService();
    try {
      expect((await call(own.url, 'GET', '/readyz')).status).toBe(200);
      await own.service.scheduler.stop();
      const ready = await call(own.url, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.json).toMatchObject({ status: 'not ready', state: 'stopped' });
      expect((await call(own.url, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await own.close();
    }
  });
});

/** `chime_fires_total{outcome="succeeded"}` in a scrape (0 before the first). */
function fires(text: string): number {
  const match = /^chime_fires_total\{outcome="succeeded"\} (\d+)$/m.exec(text);
  return match ? Number(match[1]) : 0;
}

/** `[METHOD, url]` of every route in fastify's `printRoutes({ commonPrefix: false })` tree. */
function registeredRoutes(tree: string): [string, string][] {
  const routes: [string, string][] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    stack.length = depth;
    const url = (stack[depth - 1] ?? '') + (match[2] ?? '');
    stack[depth] = url;
    for (const method of (match[3] ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean))
      routes.push([method, url]);
  }
  return routes;
}

describe('overlap policies and the reasons of fires that did not run', () => {
  it('accepts every overlap policy, and refuses another at /overlap', async () => {
    for (const overlap of ['allow', 'forbid', 'replace', 'buffer_one']) {
      const put = await api<Job>('PUT', `/v1/jobs/overlap-${overlap}`, {
        body: { schedule: daily, overlap },
      });
      expect(put.status, JSON.stringify(put.json)).toBe(200);
      expect(put.json.overlap).toBe(overlap);
    }
    const bad = await api<Problem>('PUT', '/v1/jobs/overlap-queue', {
      body: { schedule: daily, overlap: 'queue' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ path: '/overlap' });
  });

  it("an execution record says why its fire did not run: a pause's fires, at the resume", async () => {
    await api('PUT', '/v1/jobs/reasons-paused', {
      body: { schedule: { kind: 'interval', every: '200ms' }, paused: true },
    });
    await new Promise((resolve) => setTimeout(resolve, 700));
    await api('POST', '/v1/jobs/reasons-paused/resume');
    const items = await executionsOf('reasons-paused', (all) =>
      all.some((e) => e.status === 'skipped'),
    );
    const skipped = items.filter((e) => e.status === 'skipped');
    expect(skipped.length).toBeGreaterThanOrEqual(3);
    for (const e of skipped) {
      expect(e.reason).toEqual({
        code: 'paused',
        message: expect.stringMatching(/^its job was paused \(since .*Z\)$/) as unknown,
      });
      expect(e).not.toHaveProperty('error');
    }
    const one = await api<Execution>('GET', `/v1/executions/${skipped[0]?.id ?? ''}`);
    expect(one.json.reason?.code).toBe('paused');
  });
});
