/**
 * `GET /v1/instances` over real HTTP: the live instances of the service's
 * store, a `chime serve` on an ephemeral port and a fresh SQLite file.
 */
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/model/instance.js';
import { VERSION } from '../../src/version.js';
import { call, startTestService, type TestService } from './harness.js';

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService();
});

afterAll(async () => {
  await svc?.close();
});

describe('instances', () => {
  it('GET /v1/instances lists the live instances of the store: this one, with its sign of life', async () => {
    const before = Date.now();
    const { status, json } = await call<{ items: Instance[] }>(svc.url, 'GET', '/v1/instances');
    expect(status).toBe(200);
    expect(json.items).toEqual([
      {
        id: svc.service.scheduler.instanceId,
        host: hostname(),
        pid: process.pid,
        version: VERSION,
        startedAt: expect.any(String),
        lastSeenAt: expect.any(String),
        capacity: 50,
        held: expect.any(Number),
        running: expect.any(Number),
      },
    ]);
    const [me] = json.items;
    expect(Date.parse(me?.lastSeenAt ?? '')).toBeGreaterThan(before - 5_000);
    expect(Date.parse(me?.startedAt ?? '')).toBeLessThanOrEqual(Date.parse(me?.lastSeenAt ?? ''));
  });
});
