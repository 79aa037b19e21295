/**
 * The API routes the dashboard adds, over real HTTP: upcoming fires, recent
 * lag and throughput, the jobs list's id search and last-outcome filter, and
 * the preview's schedule window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Execution } from '../../src/model/execution.js';
import type { Job } from '../../src/model/job.js';
import type { Page } from '../../src/scheduler/scheduler.js';
import type { RecentSummary } from '../../src/service/recent-stats.js';
import type { Problem } from '../../src/service/problem.js';
import type { UpcomingFires } from '../../src/service/upcoming-fires.js';
import { call, startTestService, waitFor, type TestService } from '../service/harness.js';

let svc: TestService;
const api = <T = unknown>(method: string, path: string, body?: unknown) =>
  call<T>(svc.url, method, path, body === undefined ? {} : { body });
const daily = { kind: 'cron', expr: '0 3 * * *' };

beforeAll(async () => {
  svc = await startTestService();
  svc.service.scheduler.handle('ok', () => 'fine');
  svc.service.scheduler.handle('boom', () => {
    throw new Error('boom');
  });
});
afterAll(async () => svc?.close());

describe('GET /v1/fires/upcoming', () => {
  it('lists the next 24 hours of unpaused jobs soonest first, bounded per job and in all', async () => {
    await api('PUT', '/v1/jobs/up-minutely', { schedule: { kind: 'cron', expr: '* * * * *' } });
    await api('PUT', '/v1/jobs/up-daily', { schedule: daily });
    await api('PUT', '/v1/jobs/up-paused', { schedule: daily, paused: true });
    const all = await api<UpcomingFires & { from: string; until: string }>(
      'GET',
      '/v1/fires/upcoming?limit=1000&perJob=5',
    );
    expect(all.status).toBe(200);
    expect(Date.parse(all.json.until) - Date.parse(all.json.from)).toBe(24 * 3_600_000);
    const ids = all.json.items.map((i) => i.jobId);
    expect(ids.filter((id) => id === 'up-minutely')).toHaveLength(5);
    expect(ids.filter((id) => id === 'up-daily')).toHaveLength(1);
    expect(ids).not.toContain('up-paused');
    const times = all.json.items.map((i) => Date.parse(i.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(all.json.items.find((i) => i.jobId === 'up-daily')?.at).toMatch(/T03:00:00\.000Z$/);

    const few = await api<UpcomingFires>('GET', '/v1/fires/upcoming?limit=3');
    expect(few.json.items).toHaveLength(3);
    expect(few.json.truncated).toBe(true);
  });

  it.each([
    ['until=2020-01-01T00:00:00Z', '/until', 'CHIME_ERR_INVALID_INPUT'],
    ['until=2099-01-01T00:00:00Z', '/until', 'CHIME_ERR_INVALID_INPUT'],
    ['until=tomorrow', '/until', 'CHIME_ERR_DATE_INVALID'],
    ['limit=0', '/limit', 'CHIME_ERR_INVALID_INPUT'],
    ['perJob=5000', '/perJob', 'CHIME_ERR_INVALID_INPUT'],
  ])('refuses %s at %s', async (query, path, code) => {
    const answer = await api<Problem>('GET', `/v1/fires/upcoming?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ code, path });
  });
});

describe('GET /v1/stats/recent', () => {
  it('counts the executions this instance ran, with their lag', async () => {
    await api('PUT', '/v1/jobs/stats-ok', {
      schedule: daily,
      target: { type: 'handler', name: 'ok' },
    });
    const before = (await api<RecentSummary>('GET', '/v1/stats/recent')).json.total.succeeded;
    const triggered = await api<Execution>('POST', '/v1/jobs/stats-ok/trigger', {});
    await waitFor(async () => {
      const e = await api<Execution>('GET', `/v1/executions/${triggered.json.id}`);
      return e.json.status === 'succeeded' ? true : undefined;
    }, 'the trigger done');
    const after = await api<RecentSummary & { instanceId: string }>(
      'GET',
      '/v1/stats/recent?window=1m',
    );
    expect(after.json.total.succeeded).toBe(before + 1);
    expect(after.json.total.lag.count).toBeGreaterThanOrEqual(1);
    expect(after.json.total.lag.p50).toEqual(expect.any(Number));
    expect(after.json.buckets).toHaveLength(6);
    expect(after.json.instanceId).toBe(svc.service.scheduler.instanceId);
    const bad = await api<Problem>('GET', '/v1/stats/recent?window=1h');
    expect(bad.json).toMatchObject({ code: 'CHIME_ERR_INVALID_INPUT', path: '/window' });
  });
});

describe('GET /v1/jobs?q=&lastOutcome=', () => {
  it('finds ids containing the text in any case, and jobs by their last outcome, across pages', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `search-${String(i).padStart(2, '0')}`);
    await api('PUT', '/v1/jobs/Report-Nightly', { schedule: daily });
    await api('PUT', '/v1/jobs/weekly-REPORT', { schedule: daily });
    for (const id of ids) {
      const name = Number(id.slice(-2)) % 3 === 0 ? 'boom' : 'ok';
      await api('PUT', `/v1/jobs/${id}`, {
        schedule: daily,
        target: { type: 'handler', name },
        retry: { maxAttempts: 1 },
      });
    }
    const found = await api<Page<Job>>('GET', '/v1/jobs?q=report');
    expect(found.json.items.map((j) => j.id)).toEqual(['Report-Nightly', 'weekly-REPORT']);

    const failing = ids.filter((id) => Number(id.slice(-2)) % 3 === 0);
    for (const id of ids) await api('POST', `/v1/jobs/${id}/trigger`, {});
    await waitFor(async () => {
      const page = await api<Page<Job>>('GET', '/v1/jobs?q=search-&lastOutcome=none');
      return page.json.items.length === 0 ? true : undefined;
    }, 'every search job finished once');

    // Three at a time: every failed one exactly once, in id order.
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const suffix = cursor === '' ? '' : `&cursor=${cursor}`;
      const page: { json: Page<Job> } = await api<Page<Job>>(
        'GET',
        `/v1/jobs?q=SEARCH&lastOutcome=failed&limit=3${suffix}`,
      );
      seen.push(...page.json.items.map((j) => j.id));
      cursor = page.json.nextCursor;
    }
    expect(seen).toEqual(failing);
    const never = await api<Page<Job>>('GET', '/v1/jobs?lastOutcome=none&q=report');
    expect(never.json.items).toHaveLength(2);
    const bad = await api<Problem>('GET', '/v1/jobs?lastOutcome=sideways');
    expect(bad.json).toMatchObject({ code: 'CHIME_ERR_INVALID_INPUT', path: '/lastOutcome' });
  });
});

describe('GET /v1/schedules/preview with a window', () => {
  it('honours startAt and endAt of a cron schedule', async () => {
    const answer = await api<{ fires: { utc: string }[] }>(
      'GET',
      '/v1/schedules/preview?cron=0%2012%20*%20*%20*&startAt=2030-01-10T00:00:00Z&endAt=2030-01-12T23:00:00Z&count=10&from=2030-01-01T00:00:00Z',
    );
    expect(answer.json.fires.map((f) => f.utc)).toEqual([
      '2030-01-10T12:00:00.000Z',
      '2030-01-11T12:00:00.000Z',
      '2030-01-12T12:00:00.000Z',
    ]);
  });
});
