/**
 * Bad requests: each is answered with a 4xx `application/problem+json` naming
 * the error code and the offending field, the service stays healthy, and
 * nothing is stored or changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Execution } from '../../src/model/execution.js';
import type { Job } from '../../src/model/job.js';
import type { Page } from '../../src/scheduler/scheduler.js';
import type { Problem } from '../../src/service/problem.js';
import { call, startTestService, type CallOptions, type TestService } from './harness.js';

const TOKEN = 'bad-requests-token-0123456789';
let svc: TestService;

const interval = { kind: 'interval', every: '1h' };
const yearly = { kind: 'cron', expr: '0 0 1 1 *', tz: 'Europe/Berlin' };
const seed = {
  schedule: yearly,
  target: {
    type: 'http',
    url: 'https://allowed.example.com/hook',
    auth: { type: 'bearer', token: 'seed-token' },
  },
  metadata: { team: 'seed' },
  payload: { n: 1 },
};

interface BadRequest {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  /** Send `body` as it is (not JSON-serialized). */
  raw?: boolean;
  headers?: Record<string, string>;
  /** The token sent; the right one unless given (null: none). */
  token?: string | null;
  status: number;
  code: string;
  /** The problem's `path`; absent when the problem names no field. */
  at?: string;
}

const CASES: BadRequest[] = [
  // Bodies that are not JSON objects.
  {
    name: 'malformed JSON',
    method: 'POST',
    path: '/v1/jobs',
    body: '{"schedule":',
    raw: true,
    status: 400,
    code: 'CHIME_ERR_INVALID_JSON',
    at: '',
  },
  {
    name: 'empty JSON body',
    method: 'POST',
    path: '/v1/jobs',
    body: '',
    raw: true,
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'CHIME_ERR_INVALID_JSON',
    at: '',
  },
  {
    name: 'malformed merge patch',
    method: 'PATCH',
    path: '/v1/jobs/seed',
    body: '{nope',
    raw: true,
    headers: { 'content-type': 'application/merge-patch+json' },
    status: 400,
    code: 'CHIME_ERR_INVALID_JSON',
    at: '',
  },
  {
    name: 'an array as the job',
    method: 'PUT',
    path: '/v1/jobs/new-1',
    body: [interval],
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '',
  },
  {
    name: 'null as the job',
    method: 'POST',
    path: '/v1/jobs',
    body: null,
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '',
  },
  // Wrong types.
  {
    name: 'schedule as a string',
    method: 'POST',
    path: '/v1/jobs',
    body: { schedule: 'daily' },
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/schedule',
  },
  {
    name: 'cron expr as a number',
    method: 'POST',
    path: '/v1/jobs',
    body: { schedule: { kind: 'cron', expr: 5 } },
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/schedule/expr',
  },
  {
    name: 'a NUL in a metadata value (a store could not keep it)',
    method: 'POST',
    path: '/v1/jobs',
    body: { schedule: interval, metadata: { k: 'a\u0000b' } },
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/metadata/k',
  },
  {
    name: 'half a surrogate pair in a trigger payload',
    method: 'POST',
    path: '/v1/jobs/seed/trigger',
    body: { payload: { note: 'x\udc00' } },
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/payload/note',
  },
  {
    name: 'metadata value as a number',
    method: 'POST',
    path: '/v1/jobs',
    body: { schedule: interval, metadata: { k: 1 } },
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/metadata/k',
  },
  {
    name: 'paused as a string',
    method: 'PUT',
    path: '/v1/jobs/new-1',
    body: { schedule: interval, paused: 'yes' },
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/paused',
  },
  {
    name: 'retry.maxAttempts as a string',
    method: 'POST',
    path: '/v1/jobs',
    body: { schedule: interval, retry: { maxAttempts: 'x' } },
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/retry/maxAttempts',
  },
  {
    name: 'a bad duration',
    method: 'POST',
    path: '/v1/jobs',
    body: { schedule: interval, timeout: 'forever' },
    status: 400,
    code: 'CHIME_ERR_DURATION_INVALID',
    at: '/timeout',
  },
  // Unknown fields.
  {
    name: 'unknown field at the top level',
    method: 'POST',
    path: '/v1/jobs',
    body: { schedule: interval, colour: 'red' },
    status: 400,
    code: 'CHIME_ERR_UNKNOWN_FIELD',
    at: '/colour',
  },
  {
    name: 'unknown field in the schedule',
    method: 'POST',
    path: '/v1/jobs',
    body: { schedule: { ...interval, colour: 'red' } },
    status: 400,
    code: 'CHIME_ERR_UNKNOWN_FIELD',
    at: '/schedule/colour',
  },
  {
    name: 'unknown field in the target',
    method: 'PUT',
    path: '/v1/jobs/new-1',
    body: { schedule: interval, target: { type: 'handler', colour: 'red' } },
    status: 400,
    code: 'CHIME_ERR_UNKNOWN_FIELD',
    at: '/target/colour',
  },
  // Schedules.
  {
    name: 'a bad cron expression',
    method: 'POST',
    path: '/v1/jobs',
    body: { schedule: { kind: 'cron', expr: '61 * * * *' } },
    status: 400,
    code: 'CHIME_ERR_SCHEDULE_CRON_INVALID',
    at: '/schedule/expr',
  },
  {
    name: 'a bad time zone',
    method: 'POST',
    path: '/v1/jobs',
    body: { schedule: { kind: 'cron', expr: '0 3 * * *', tz: 'Mars/Olympus' } },
    status: 400,
    code: 'CHIME_ERR_SCHEDULE_TZ_INVALID',
    at: '/schedule/tz',
  },
  {
    name: 'a one-shot in the past',
    method: 'POST',
    path: '/v1/jobs',
    body: { schedule: { kind: 'once', at: '2020-01-01T00:00:00Z' } },
    status: 400,
    code: 'CHIME_ERR_SCHEDULE_IN_PAST',
    at: '/schedule/at',
  },
  {
    name: 'an unknown schedule kind',
    method: 'POST',
    path: '/v1/jobs',
    body: { schedule: { kind: 'weekly' } },
    status: 400,
    code: 'CHIME_ERR_SCHEDULE_KIND_UNKNOWN',
    at: '/schedule/kind',
  },
  {
    name: 'a zero interval',
    method: 'POST',
    path: '/v1/jobs',
    body: { schedule: { kind: 'interval', every: '0s' } },
    status: 400,
    code: 'CHIME_ERR_SCHEDULE_INTERVAL_INVALID',
    at: '/schedule/every',
  },
  {
    name: 'a missing schedule',
    method: 'POST',
    path: '/v1/jobs',
    body: { id: 'new-1' },
    status: 400,
    code: 'CHIME_ERR_MISSING_FIELD',
    at: '/schedule',
  },
  // Sizes.
  {
    name: 'an oversized body',
    method: 'POST',
    path: '/v1/jobs',
    body: { schedule: interval, payload: 'x'.repeat(4096) },
    status: 413,
    code: 'CHIME_ERR_BODY_TOO_LARGE',
  },
  // Ids.
  {
    name: '__proto__ in a JSON body',
    method: 'PATCH',
    path: '/v1/jobs/seed',
    body: '{"__proto__":{"paused":true}}',
    raw: true,
    status: 400,
    code: 'CHIME_ERR_INVALID_JSON',
    at: '',
  },
  {
    name: '__proto__ in a merge patch',
    method: 'PATCH',
    path: '/v1/jobs/seed',
    body: '{"metadata":{"__proto__":{"team":"x"}}}',
    raw: true,
    headers: { 'content-type': 'application/merge-patch+json' },
    status: 400,
    code: 'CHIME_ERR_INVALID_JSON',
    at: '',
  },
  {
    name: 'an oversized merge patch',
    method: 'PATCH',
    path: '/v1/jobs/seed',
    body: { payload: 'x'.repeat(4096) },
    headers: { 'content-type': 'application/merge-patch+json' },
    status: 413,
    code: 'CHIME_ERR_BODY_TOO_LARGE',
  },
  {
    name: 'a bad id in the PUT path',
    method: 'PUT',
    path: '/v1/jobs/-bad',
    body: { schedule: interval },
    status: 400,
    code: 'CHIME_ERR_JOB_ID_INVALID',
    at: '/id',
  },
  {
    name: 'a bad id in the GET path',
    method: 'GET',
    path: '/v1/jobs/bad%20id',
    status: 400,
    code: 'CHIME_ERR_JOB_ID_INVALID',
    at: '/id',
  },
  {
    name: 'a bad id in the body',
    method: 'POST',
    path: '/v1/jobs',
    body: { id: 'a b', schedule: interval },
    status: 400,
    code: 'CHIME_ERR_JOB_ID_INVALID',
    at: '/id',
  },
  {
    name: 'body id differing from the path id',
    method: 'PUT',
    path: '/v1/jobs/seed',
    body: { ...seed, id: 'other' },
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/id',
  },
  {
    name: 'a taken id on create',
    method: 'POST',
    path: '/v1/jobs',
    body: { ...seed, id: 'seed', payload: { n: 2 } },
    status: 409,
    code: 'CHIME_ERR_JOB_EXISTS',
    at: '/id',
  },
  // Targets.
  {
    name: 'an unknown target type',
    method: 'POST',
    path: '/v1/jobs',
    body: { schedule: interval, target: { type: 'ftp' } },
    status: 400,
    code: 'CHIME_ERR_TARGET_TYPE_UNKNOWN',
    at: '/target/type',
  },
  {
    name: 'a shell target without --allow-shell',
    method: 'POST',
    path: '/v1/jobs',
    body: {
      schedule: interval,
      target: { type: 'shell', command: 'touch', args: ['/tmp/chime-pwned'] },
    },
    status: 400,
    code: 'CHIME_ERR_SHELL_DISABLED',
    at: '/target/type',
  },
  {
    name: 'an HTTP host outside --http-target-allow',
    method: 'POST',
    path: '/v1/jobs',
    body: {
      schedule: interval,
      target: { type: 'http', url: 'http://169.254.169.254/latest/meta-data' },
    },
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/target/url',
  },
  {
    name: 'an onFailure host outside --http-target-allow',
    method: 'POST',
    path: '/v1/jobs',
    body: { schedule: interval, onFailure: { type: 'http', url: 'http://evil.example.org/' } },
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/onFailure/url',
  },
  {
    name: 'an HTTP header name that is no token',
    method: 'POST',
    path: '/v1/jobs',
    body: {
      schedule: interval,
      target: { type: 'http', url: 'https://allowed.example.com/', headers: { 'Bad Header': 'v' } },
    },
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/target/headers/Bad Header',
  },
  {
    name: 'an HTTP target without a url',
    method: 'POST',
    path: '/v1/jobs',
    body: { schedule: interval, target: { type: 'http' } },
    status: 400,
    code: 'CHIME_ERR_MISSING_FIELD',
    at: '/target/url',
  },
  // Query parameters.
  {
    name: 'limit=0',
    method: 'GET',
    path: '/v1/jobs?limit=0',
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/limit',
  },
  {
    name: 'limit=abc',
    method: 'GET',
    path: '/v1/jobs?limit=abc',
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/limit',
  },
  {
    name: 'limit=1001 on executions',
    method: 'GET',
    path: '/v1/executions?limit=1001',
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/limit',
  },
  {
    name: 'an unknown query parameter',
    method: 'GET',
    path: '/v1/jobs?colour=red',
    status: 400,
    code: 'CHIME_ERR_UNKNOWN_FIELD',
    at: '/colour',
  },
  {
    name: "jobId on a job's executions",
    method: 'GET',
    path: '/v1/jobs/seed/executions?jobId=other',
    status: 400,
    code: 'CHIME_ERR_UNKNOWN_FIELD',
    at: '/jobId',
  },
  {
    name: 'paused=maybe',
    method: 'GET',
    path: '/v1/jobs?paused=maybe',
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/paused',
  },
  {
    name: 'a metadata filter given twice',
    method: 'GET',
    path: '/v1/jobs?metadata.team=a&metadata.team=b',
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/metadata.team',
  },
  {
    name: 'a bad status',
    method: 'GET',
    path: '/v1/executions?status=done',
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/status',
  },
  {
    name: 'a bad jobs cursor',
    method: 'GET',
    path: '/v1/jobs?cursor=not-a-cursor',
    status: 400,
    code: 'CHIME_ERR_CURSOR_INVALID',
    at: '/cursor',
  },
  {
    name: 'a bad executions cursor',
    method: 'GET',
    path: '/v1/executions?cursor=not-a-cursor',
    status: 400,
    code: 'CHIME_ERR_CURSOR_INVALID',
    at: '/cursor',
  },
  // Content types.
  {
    name: 'text/plain',
    method: 'POST',
    path: '/v1/jobs',
    body: JSON.stringify({ schedule: interval }),
    raw: true,
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'CHIME_ERR_UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'application/xml',
    method: 'PUT',
    path: '/v1/jobs/new-1',
    body: '<job/>',
    raw: true,
    headers: { 'content-type': 'application/xml' },
    status: 415,
    code: 'CHIME_ERR_UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'a form',
    method: 'PATCH',
    path: '/v1/jobs/seed',
    body: 'paused=true',
    raw: true,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    code: 'CHIME_ERR_UNSUPPORTED_MEDIA_TYPE',
  },
  // Authentication.
  {
    name: 'no token',
    method: 'GET',
    path: '/v1/jobs',
    token: null,
    status: 401,
    code: 'CHIME_ERR_UNAUTHORIZED',
  },
  {
    name: 'a wrong token',
    method: 'DELETE',
    path: '/v1/jobs/seed',
    token: 'wrong-token-wrong-token',
    status: 401,
    code: 'CHIME_ERR_UNAUTHORIZED',
  },
  {
    name: 'not a bearer token',
    method: 'POST',
    path: '/v1/jobs/seed/pause',
    token: null,
    headers: { authorization: `Basic ${TOKEN}` },
    status: 401,
    code: 'CHIME_ERR_UNAUTHORIZED',
  },
  {
    name: 'no token on /metrics',
    method: 'GET',
    path: '/metrics',
    token: null,
    status: 401,
    code: 'CHIME_ERR_UNAUTHORIZED',
  },
  {
    name: 'no token on a percent-encoded /v1 path',
    method: 'POST',
    path: '/%761/jobs',
    body: { id: 'sneaky', schedule: interval },
    token: null,
    status: 401,
    code: 'CHIME_ERR_UNAUTHORIZED',
  },
  {
    name: 'no token on an encoded DELETE',
    method: 'DELETE',
    path: '/v1/jobs/%73eed',
    token: null,
    status: 401,
    code: 'CHIME_ERR_UNAUTHORIZED',
  },
  // Routes and missing things.
  {
    name: 'an unknown route',
    method: 'GET',
    path: '/v1/nothing-here',
    status: 404,
    code: 'CHIME_ERR_ROUTE_NOT_FOUND',
  },
  {
    name: 'an unknown method',
    method: 'DELETE',
    path: '/v1/executions',
    status: 404,
    code: 'CHIME_ERR_ROUTE_NOT_FOUND',
  },
  {
    name: 'trigger of a missing job',
    method: 'POST',
    path: '/v1/jobs/missing/trigger',
    body: {},
    status: 404,
    code: 'CHIME_ERR_JOB_NOT_FOUND',
    at: '/id',
  },
  {
    name: 'pause of a missing job',
    method: 'POST',
    path: '/v1/jobs/missing/pause',
    status: 404,
    code: 'CHIME_ERR_JOB_NOT_FOUND',
    at: '/id',
  },
  {
    name: 'PATCH of a missing job',
    method: 'PATCH',
    path: '/v1/jobs/missing',
    body: { paused: true },
    status: 404,
    code: 'CHIME_ERR_JOB_NOT_FOUND',
    at: '/id',
  },
  {
    name: 'DELETE of a missing job',
    method: 'DELETE',
    path: '/v1/jobs/missing',
    status: 404,
    code: 'CHIME_ERR_JOB_NOT_FOUND',
    at: '/id',
  },
  {
    name: 'a missing execution',
    method: 'GET',
    path: '/v1/executions/01900000-0000-7000-8000-000000000000',
    status: 404,
    code: 'CHIME_ERR_EXECUTION_NOT_FOUND',
    at: '/id',
  },
  {
    name: 'trigger with an unknown field',
    method: 'POST',
    path: '/v1/jobs/seed/trigger',
    body: { payload: 1, when: 'now' },
    status: 400,
    code: 'CHIME_ERR_UNKNOWN_FIELD',
    at: '/when',
  },
  // PATCH that would make the job invalid.
  {
    name: 'PATCH to a bad cron',
    method: 'PATCH',
    path: '/v1/jobs/seed',
    body: { schedule: { expr: 'every day' } },
    status: 400,
    code: 'CHIME_ERR_SCHEDULE_CRON_INVALID',
    at: '/schedule/expr',
  },
  {
    name: 'PATCH removing the schedule',
    method: 'PATCH',
    path: '/v1/jobs/seed',
    body: { schedule: null },
    status: 400,
    code: 'CHIME_ERR_MISSING_FIELD',
    at: '/schedule',
  },
  {
    name: 'PATCH adding an unknown field',
    method: 'PATCH',
    path: '/v1/jobs/seed',
    body: { colour: 'red' },
    status: 400,
    code: 'CHIME_ERR_UNKNOWN_FIELD',
    at: '/colour',
  },
  {
    name: 'PATCH to a disallowed host',
    method: 'PATCH',
    path: '/v1/jobs/seed',
    // A new token: the stored one is kept only while the destination stays the same.
    body: { target: { url: 'http://127.0.0.1:22/', auth: { type: 'bearer', token: 'new' } } },
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/target/url',
  },
  {
    name: 'PATCH moving a stored token to another host',
    method: 'PATCH',
    path: '/v1/jobs/seed',
    body: { target: { url: 'https://x.allowed.example.net/hook' } },
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/target',
  },
  {
    name: 'PATCH changing the id',
    method: 'PATCH',
    path: '/v1/jobs/seed',
    body: { id: 'renamed' },
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/id',
  },
  {
    name: 'PATCH with an array',
    method: 'PATCH',
    path: '/v1/jobs/seed',
    body: [{ paused: true }],
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '',
  },
  // Previews.
  {
    name: 'a preview without a schedule',
    method: 'GET',
    path: '/v1/schedules/preview',
    status: 400,
    code: 'CHIME_ERR_INVALID_INPUT',
    at: '/cron',
  },
  {
    name: 'an empty stats window',
    method: 'GET',
    path: '/v1/stats/recent?window=',
    status: 400,
    code: 'CHIME_ERR_DURATION_INVALID',
    at: '/window',
  },
  {
    name: 'a preview with a bad zone',
    method: 'GET',
    path: '/v1/schedules/preview?cron=%40daily&tz=Nowhere',
    status: 400,
    code: 'CHIME_ERR_SCHEDULE_TZ_INVALID',
    at: '/tz',
  },
];

/** What must not change: every job, the seed job, every execution. */
async function snapshot() {
  const get = async (path: string) => {
    const answer = await call(svc.url, 'GET', path, { token: TOKEN });
    expect(answer.status).toBe(200);
    return answer.text;
  };
  return {
    jobs: await get('/v1/jobs?limit=1000'),
    seed: await get('/v1/jobs/seed'),
    executions: await get('/v1/executions?limit=1000'),
  };
}

let before: Awaited<ReturnType<typeof snapshot>>;

beforeAll(async () => {
  svc = await startTestService({
    token: TOKEN,
    'body-limit': '2kb',
    'http-target-allow': 'allowed.example.com,*.allowed.example.net',
  });
  const created = await call<Job>(svc.url, 'PUT', '/v1/jobs/seed', { token: TOKEN, body: seed });
  expect(created.status).toBe(200);
  before = await snapshot();
  expect((JSON.parse(before.jobs) as Page<Job>).items.map((j) => j.id)).toEqual(['seed']);
});

afterAll(async () => {
  await svc?.close();
});

describe('bad requests', () => {
  it('the table holds at least 30 distinct bad requests', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES)('$name: $method $path → $status $code', async (bad) => {
    const options: CallOptions = {};
    if (bad.body !== undefined) options.body = bad.body;
    if (bad.raw) options.raw = true;
    if (bad.headers) options.headers = bad.headers;
    if (bad.token !== null) options.token = bad.token ?? TOKEN;
    const answer = await call<Problem>(svc.url, bad.method, bad.path, options);
    expect(answer.status, answer.text).toBe(bad.status);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.json.code).toBe(bad.code);
    expect(answer.json.status).toBe(bad.status);
    expect(answer.json.title).toEqual(expect.any(String));
    expect(answer.json.detail).toEqual(expect.any(String));
    expect(answer.json.instance).toBe(bad.path);
    if (bad.at === undefined) expect(answer.json).not.toHaveProperty('path');
    else expect(answer.json.path).toBe(bad.at);
  });

  it('leaves the service healthy and nothing stored or changed', async () => {
    expect((await call(svc.url, 'GET', '/healthz')).status).toBe(200);
    expect((await call(svc.url, 'GET', '/readyz')).status).toBe(200);
    const after = await snapshot();
    expect(after.seed).toBe(before.seed);
    expect(after.jobs).toBe(before.jobs);
    expect(after.executions).toBe(before.executions);
    expect(JSON.parse(after.executions)).toEqual({ items: [], nextCursor: null });
    // The stored secret is intact too (the API only ever shows it redacted).
    const stored = await svc.service.scheduler.getJob('seed');
    expect(stored?.target).toEqual(seed.target);
    expect(stored?.version).toBe(1);
  });
});

describe('a valid request after all that', () => {
  it('still works', async () => {
    const ok = await call<Execution>(svc.url, 'POST', '/v1/jobs/seed/pause', { token: TOKEN });
    expect(ok.status).toBe(200);
  });
});
