/**
 * `GET /v1/events` over real HTTP: a `chime serve` on a fresh SQLite file,
 * read with fetch like the dashboard reads it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Execution } from '../../src/model/execution.js';
import type { Problem } from '../../src/service/problem.js';
import { call, startTestService, waitFor, type TestService } from '../service/harness.js';
import { openEvents, type EventStream } from './sse-client.js';

const TOKEN = 'events-token-0123456789';
const READ_TOKEN = 'events-read-token-0123456789';
const daily = { kind: 'cron', expr: '0 3 * * *' };

let svc: TestService;
const streams: EventStream[] = [];

/** Opens a stream closed after the file. */
async function open(options: Parameters<typeof openEvents>[1] = {}) {
  const stream = await openEvents(svc.url, { token: TOKEN, ...options });
  streams.push(stream);
  return stream;
}

const api = (method: string, path: string, body?: unknown) =>
  call(svc.url, method, path, { token: TOKEN, ...(body === undefined ? {} : { body }) });

/** The open streams the service counts (its /metrics gauge). */
async function openStreams(): Promise<number> {
  const metrics = await call(svc.url, 'GET', '/metrics', { token: TOKEN });
  return Number(/^chime_event_streams (\d+)$/m.exec(metrics.text)?.[1]);
}

beforeAll(async () => {
  // A 1 s write timeout: the streams below outlive it.
  svc = await startTestService({
    token: TOKEN,
    'read-token': READ_TOKEN,
    'web-write-timeout': '1s',
  });
  svc.service.scheduler.handle('ok', async (ctx) => ({ seen: ctx.payload }));
});

afterAll(async () => {
  streams.forEach((s) => s.close());
  await svc?.close();
});

describe('GET /v1/events', () => {
  it('streams text/event-stream: job changes, then a trigger started and finished, with ids', async () => {
    const stream = await open();
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers.get('cache-control')).toBe('no-cache, no-transform');

    await api('PUT', '/v1/jobs/ev-1', { schedule: daily, target: { type: 'handler', name: 'ok' } });
    const created = await stream.next((e) => e.event === 'job:created');
    expect(created.data).toEqual({ jobId: 'ev-1', version: 1 });
    await api('POST', '/v1/jobs/ev-1/pause');
    expect((await stream.next((e) => e.event === 'job:changed')).data).toEqual({
      jobId: 'ev-1',
      version: 2,
      paused: true,
    });

    const triggered = (await api('POST', '/v1/jobs/ev-1/trigger', { payload: { n: 7 } }))
      .json as Execution;
    const byExecution = (type: string) => (e: { event?: string; data: Record<string, unknown> }) =>
      e.event === type && e.data['executionId'] === triggered.id;
    await stream.next(byExecution('execution:triggered'));
    const started = await stream.next(byExecution('execution:started'));
    expect(started.data).toMatchObject({ jobId: 'ev-1', attempt: 1, fireAt: triggered.fireAt });
    const succeeded = await stream.next(byExecution('execution:succeeded'));
    // The result is left out: read the execution for it.
    expect(succeeded.data).not.toHaveProperty('result');
    expect(succeeded.data['durationMs']).toEqual(expect.any(Number));

    await api('DELETE', '/v1/jobs/ev-1');
    expect((await stream.next((e) => e.event === 'job:removed')).data).toEqual({ jobId: 'ev-1' });
    const ids = stream.events.map((e) => Number(/^[0-9a-f]{12}-(\d+)$/.exec(e.id ?? '')?.[1]));
    expect(ids.every(Number.isInteger)).toBe(true);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('filters by jobId and by types; an unknown type is a 400 at /types', async () => {
    const mine = await open({ query: '?jobId=ev-mine' });
    const changes = await open({ query: '?types=job:changed,job:removed' });
    await api('PUT', '/v1/jobs/ev-other', { schedule: daily });
    await api('PUT', '/v1/jobs/ev-mine', { schedule: daily });
    await api('POST', '/v1/jobs/ev-other/pause');
    await mine.next((e) => e.event === 'job:created');
    await changes.next((e) => e.event === 'job:changed');
    expect(mine.events.every((e) => e.data['jobId'] === 'ev-mine')).toBe(true);
    expect(changes.events.map((e) => e.event)).toEqual(['job:changed']);

    const bad = await call<Problem>(svc.url, 'GET', '/v1/events?types=job:changed,nope', {
      token: TOKEN,
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 'CHIME_ERR_INVALID_INPUT', path: '/types' });
  });

  it('needs a token like every /v1 route; the read-only token may read it', async () => {
    const none = await openEvents(svc.url);
    expect(none.status).toBe(401);
    const reader = await open({ token: READ_TOKEN });
    expect(reader.status).toBe(200);
    await api('PUT', '/v1/jobs/ev-read', { schedule: daily });
    await reader.next((e) => e.event === 'job:created' && e.data['jobId'] === 'ev-read');
  });

  it('replays what a reconnecting client missed after its Last-Event-ID; an unknown id gets resync', async () => {
    const first = await open();
    await api('PUT', '/v1/jobs/ev-replay', { schedule: daily });
    const seen = await first.next(
      (e) => e.event === 'job:created' && e.data['jobId'] === 'ev-replay',
    );
    first.close();
    await api('POST', '/v1/jobs/ev-replay/pause');
    await api('POST', '/v1/jobs/ev-replay/resume');

    const again = await open({ lastEventId: seen.id ?? '' });
    await again.next((e) => e.event === 'job:changed' && e.data['paused'] === false);
    expect(again.events.map((e) => [e.event, e.data['paused']])).toEqual([
      ['job:changed', true],
      ['job:changed', false],
    ]);

    const stranger = await open({ lastEventId: 'another-process-12' });
    expect((await stranger.next(() => true)).event).toBe('resync');
  });

  it('keeps a quiet stream open past the write timeout, and serves many clients; disconnects are let go', async () => {
    const quiet = await open();
    const before = await openStreams();
    const many = await Promise.all(Array.from({ length: 20 }, () => open()));
    expect(await openStreams()).toBe(before + 20);
    // Longer than --web-write-timeout (1 s) without a byte on the quiet stream.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await api('PUT', '/v1/jobs/ev-late', { schedule: daily });
    await quiet.next((e) => e.event === 'job:created' && e.data['jobId'] === 'ev-late');
    await Promise.all(many.map((s) => s.next((e) => e.data['jobId'] === 'ev-late')));

    many.forEach((s) => s.close());
    await waitFor(
      async () => ((await openStreams()) === before ? true : undefined),
      'streams let go',
    );
  });

  it('is described in the OpenAPI description', async () => {
    const doc = await call<{ paths: Record<string, Record<string, { description?: string }>> }>(
      svc.url,
      'GET',
      '/openapi.json',
    );
    const get = doc.json.paths['/v1/events']?.['get'];
    expect(get?.description).toContain('Last-Event-ID');
    expect(get?.description).toContain('execution:started');
    expect(JSON.stringify(get)).toContain('text/event-stream');
  });
});

describe('closing the service', () => {
  it('ends open streams instead of waiting for them', async () => {
    const own = await startTestService();
    const stream = await openEvents(own.url);
    expect(stream.status).toBe(200);
    const started = Date.now();
    await own.close();
    await stream.ended;
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
