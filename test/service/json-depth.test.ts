/**
 * Every JSON body the API takes follows one depth rule: at most
 * MAX_JSON_DEPTH levels from the document's root. A body nested 100,000
 * levels — in a payload, a target body, a merge patch, a trigger — is a 400
 * `CHIME_ERR_JSON_TOO_DEEP` naming where, never a 500, and nothing changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src/model/limits.js';
import type { Problem } from '../../src/service/problem.js';
import { call, startTestService, type TestService } from './harness.js';

let svc: TestService;

/** `levels` nested arrays around 1, as JSON text (JSON.stringify would overflow the stack). */
const nested = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;
/** The pointer of the first array too deep in `nested(…)` at `prefix`, whose own level is `level`. */
const tooDeepAt = (prefix: string, level: number) =>
  prefix + '/0'.repeat(MAX_JSON_DEPTH + 1 - level);

const schedule = '{"kind":"interval","every":"1h"}';
const job = (fields: string) => `{"schedule":${schedule},${fields}}`;
const httpTarget = (body: string) => `{"type":"http","url":"https://example.com/","body":${body}}`;

beforeAll(async () => {
  svc = await startTestService({ 'body-limit': '1mb' });
  const seed = await call(svc.url, 'PUT', '/v1/jobs/seed', {
    body: JSON.parse(job('"payload":1')),
  });
  expect(seed.status).toBe(200);
});

afterAll(async () => {
  await svc?.close();
});

const DEEP = 100_000;
const CASES: [string, string, string, string, string][] = [
  ['a payload', 'POST', '/v1/jobs', job(`"payload":${nested(DEEP)}`), tooDeepAt('/payload', 2)],
  [
    'a target body',
    'POST',
    '/v1/jobs',
    job(`"target":${httpTarget(nested(DEEP))}`),
    tooDeepAt('/target/body', 3),
  ],
  [
    'an onFailure body',
    'PUT',
    '/v1/jobs/new',
    job(`"onFailure":${httpTarget(nested(DEEP))}`),
    tooDeepAt('/onFailure/body', 3),
  ],
  [
    'a merge patch',
    'PATCH',
    '/v1/jobs/seed',
    `{"payload":${nested(DEEP)}}`,
    tooDeepAt('/payload', 2),
  ],
  [
    'a merge patch of the body',
    'PATCH',
    '/v1/jobs/seed',
    `{"target":${httpTarget(nested(DEEP))}}`,
    tooDeepAt('/target/body', 3),
  ],
  [
    'a trigger payload',
    'POST',
    '/v1/jobs/seed/trigger',
    `{"payload":${nested(DEEP)}}`,
    tooDeepAt('/payload', 2),
  ],
  [
    'one level too deep',
    'POST',
    '/v1/jobs',
    job(`"payload":${nested(MAX_JSON_DEPTH)}`),
    tooDeepAt('/payload', 2),
  ],
];

describe('JSON nested too deep', () => {
  it.each(CASES)('%s: %s %s → 400 CHIME_ERR_JSON_TOO_DEEP', async (_, method, path, body, at) => {
    for (const type of ['application/json', 'application/merge-patch+json']) {
      if (type !== 'application/json' && method !== 'PATCH') continue;
      const answer = await call<Problem>(svc.url, method, path, {
        body,
        raw: true,
        headers: { 'content-type': type },
      });
      expect(answer.status, answer.text).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.json).toMatchObject({ code: 'CHIME_ERR_JSON_TOO_DEEP', path: at });
    }
  });

  it('changed nothing, and JSON up to the limit is taken', async () => {
    const jobs = await svc.service.scheduler.listJobs();
    expect(jobs.items.map((j) => [j.id, j.version, j.payload])).toEqual([['seed', 1, 1]]);
    const executions = await svc.service.scheduler.listExecutions();
    expect(executions.items.filter((e) => e.trigger === 'manual')).toEqual([]);
    const deepest = job(`"payload":${nested(MAX_JSON_DEPTH - 1)}`);
    const answer = await call(svc.url, 'PUT', '/v1/jobs/deepest', { body: deepest, raw: true });
    expect(answer.status, answer.text).toBe(200);
  });
});
