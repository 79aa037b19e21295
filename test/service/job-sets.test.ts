/**
 * `PUT /v1/jobs` (apply a list of jobs, with `prune` and `dryRun`) and
 * `DELETE /v1/jobs?selector=` (clear) over real HTTP: the drift report, bad
 * input as problems naming the item and field with nothing applied, secrets
 * redacted in the report and kept when the list sends the placeholder back,
 * a list larger than `--body-limit` within `--bulk-body-limit`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/model/job.js';
import type { ApplyReport } from '../../src/scheduler/apply.js';
import type { Page } from '../../src/scheduler/scheduler.js';
import type { Problem } from '../../src/service/problem.js';
import { call, startTestService, type CallOptions, type TestService } from './harness.js';

let svc: TestService;
const api = <T = unknown>(method: string, path: string, options?: CallOptions) =>
  call<T>(svc.url, method, path, options);

beforeAll(async () => {
  svc = await startTestService({ 'body-limit': '16kb' });
});
afterAll(() => svc?.close());

const owned = (i: number, extra: Record<string, unknown> = {}) => ({
  id: `svc-${i}`,
  schedule: { kind: 'interval', every: '1h' },
  metadata: { 'managed-by': 'svc-test', n: String(i % 2) },
  ...extra,
});

const ids = async () =>
  (await api<Page<Job>>('GET', '/v1/jobs?limit=1000')).json.items.map((job) => job.id).sort();

describe('PUT /v1/jobs and DELETE /v1/jobs', () => {
  it('applies a list, reports drift, prunes by selector, and a dry run changes nothing', async () => {
    const first = await api<ApplyReport>('PUT', '/v1/jobs', { body: [owned(1), owned(2)] });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ dryRun: false, create: ['svc-1', 'svc-2'] });
    await api('PUT', '/v1/jobs/hand-made', {
      body: { schedule: { kind: 'interval', every: '1h' } },
    });
    const body = [owned(1, { payload: { v: 2 } }), owned(3)];
    const query = '?prune=managed-by%3Dsvc-test&dryRun=true';
    const dry = await api<ApplyReport>('PUT', `/v1/jobs${query}`, { body });
    expect(dry.json).toEqual({
      dryRun: true,
      create: ['svc-3'],
      change: [{ id: 'svc-1', changes: [{ path: '/payload', to: { v: 2 } }] }],
      remove: ['svc-2'],
      unchanged: [],
    });
    expect(await ids()).toEqual(['hand-made', 'svc-1', 'svc-2']);
    const done = await api<ApplyReport>('PUT', '/v1/jobs?prune=managed-by%3Dsvc-test', { body });
    expect(done.json).toEqual({ ...dry.json, dryRun: false });
    expect(await ids()).toEqual(['hand-made', 'svc-1', 'svc-3']);
  });

  it('bad input is a problem naming the item and field, and nothing is applied', async () => {
    const before = await ids();
    const cases: [string, unknown, number, string, string][] = [
      [
        '',
        [owned(7), owned(8, { schedule: { kind: 'cron', expr: 'nope' } })],
        400,
        'CHIME_ERR_SCHEDULE_CRON_INVALID',
        '/1/schedule/expr',
      ],
      [
        '',
        [owned(7), { schedule: { kind: 'interval', every: '1h' } }],
        400,
        'CHIME_ERR_MISSING_FIELD',
        '/1/id',
      ],
      ['', { jobs: [] }, 400, 'CHIME_ERR_INVALID_INPUT', ''],
      ['?prune=managed-by', [owned(7)], 400, 'CHIME_ERR_INVALID_INPUT', '/prune'],
      ['?prune=bad%20key%3Dx', [owned(7)], 400, 'CHIME_ERR_INVALID_INPUT', '/prune/bad key'],
      ['?force=true', [owned(7)], 400, 'CHIME_ERR_UNKNOWN_FIELD', '/force'],
    ];
    for (const [query, body, status, code, path] of cases) {
      const answer = await api<Problem>('PUT', `/v1/jobs${query}`, { body });
      expect([answer.status, answer.json.code, answer.json.path]).toEqual([status, code, path]);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
    }
    for (const query of ['', '?selector=', '?selector=nokey', '?selector=a%3Db&all=true']) {
      const answer = await api<Problem>('DELETE', `/v1/jobs${query}`);
      expect(answer.status).toBe(400);
      expect(answer.json.code).toMatch(/^CHIME_ERR_/);
    }
    expect(await ids()).toEqual(before);
  });

  it('secrets read [redacted] in the report, and the placeholder sent back keeps the stored one', async () => {
    const hook = (authorization: string, kind: string) =>
      owned(20, {
        target: {
          type: 'http',
          url: 'http://127.0.0.1:9/hook',
          headers: { authorization, 'x-kind': kind },
        },
      });
    await api('PUT', '/v1/jobs', { body: [hook('Bearer s3cr3t-one', 'a')] });
    const changed = await api<ApplyReport>('PUT', '/v1/jobs?dryRun=true', {
      body: [hook('Bearer s3cr3t-two', 'a')],
    });
    expect(changed.json.change).toEqual([
      {
        id: 'svc-20',
        changes: [{ path: '/target/headers/authorization', from: '[redacted]', to: '[redacted]' }],
      },
    ]);
    expect(changed.text).not.toContain('s3cr3t');
    const kept = await api<ApplyReport>('PUT', '/v1/jobs', { body: [hook('[redacted]', 'b')] });
    expect(kept.json.change).toEqual([
      { id: 'svc-20', changes: [{ path: '/target/headers/x-kind', from: 'a', to: 'b' }] },
    ]);
    const again = await api<ApplyReport>('PUT', '/v1/jobs', {
      body: [hook('Bearer s3cr3t-one', 'b')],
    });
    expect(again.json.unchanged).toEqual(['svc-20']);
  });

  it('a list beyond --body-limit is taken up to --bulk-body-limit; DELETE clears by selector', async () => {
    const many = Array.from({ length: 300 }, (_, i) => owned(100 + i));
    expect(JSON.stringify(many).length).toBeGreaterThan(16 * 1024);
    const applied = await api<ApplyReport>('PUT', '/v1/jobs', { body: many });
    expect(applied.status).toBe(200);
    expect(applied.json.create).toHaveLength(300);
    const single = await api<Problem>('PUT', '/v1/jobs/big', {
      body: { ...owned(1), payload: 'x'.repeat(20 * 1024) },
    });
    expect(single.status).toBe(413);
    const dry = await api<{ dryRun: boolean; remove: string[] }>(
      'DELETE',
      '/v1/jobs?selector=managed-by%3Dsvc-test,n%3D1&dryRun=true',
    );
    expect(dry.json.dryRun).toBe(true);
    expect(dry.json.remove).toHaveLength(152);
    const cleared = await api<{ remove: string[] }>(
      'DELETE',
      '/v1/jobs?selector=managed-by%3Dsvc-test,n%3D1',
    );
    expect(cleared.json.remove).toEqual(dry.json.remove);
    expect((await ids()).filter((id) => id.startsWith('svc-'))).toHaveLength(151);
  });
});
