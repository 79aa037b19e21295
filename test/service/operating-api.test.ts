/**
 * Operating schedules over real HTTP (issue 19): `maxFires` in a job, its
 * schema and its preview. A `chime serve` on an ephemeral port and a fresh
 * SQLite file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/model/job.js';
import type { FirePreview } from '../../src/schedules/preview.js';
import type { Problem } from '../../src/service/problem.js';
import { call, startTestService, type CallOptions, type TestService } from './harness.js';

let svc: TestService;
const api = <T = unknown>(method: string, path: string, options?: CallOptions) =>
  call<T>(svc.url, method, path, options);
const hourly = { kind: 'interval', every: '1h', startAt: '2030-01-01T00:00:00Z' };

beforeAll(async () => {
  svc = await startTestService();
});

afterAll(async () => {
  await svc?.close();
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
