/**
 * HTTP targets against a misbehaving receiver (node:http on 127.0.0.1): 500,
 * 429 and 503 with Retry-After, headers that never come, a body that trickles
 * past the timeout, a connection reset mid-response, a redirect loop and a
 * 50 MiB answer. Retries follow the job's retry policy to the attempt; each
 * timeout fires within 10 % of its setting; the recorded answer is capped
 * without the body being read whole; every attempt carries the same
 * Idempotency-Key and webhook-id.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createScheduler,
  memoryStore,
  once,
  type Execution,
  type JobDefinition,
  type Scheduler,
} from '../../src/index.js';
import { httpExecutor, type HttpTarget } from '../../src/executors/http/index.js';
import { waitFor } from '../helpers/events.js';
import { context, httpJob, RecordingServer, rejection, within } from '../helpers/http.js';
import { silent } from '../helpers/scheduler.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
/** Retries 50 ms apart: the policy, not the clock, decides how many attempts run. */
const QUICK_RETRIES = { backoff: 'fixed', initialDelay: 50, jitter: false } as const;

let server: RecordingServer;
let scheduler: Scheduler;
beforeEach(async () => {
  server = await new RecordingServer().start();
  scheduler = createScheduler({
    store: memoryStore(),
    executors: [httpExecutor()],
    logger: silent,
    pollIntervalMs: 50,
  });
  await scheduler.start();
});
afterEach(async () => {
  await scheduler.stop({ timeoutMs: 0 });
  await server.stop();
});

/** Runs one signed fire of an http job to its end, succeeded or dead. */
async function fire(
  target: Partial<HttpTarget>,
  policies: Omit<JobDefinition, 'target' | 'schedule'>,
): Promise<Execution> {
  const end = Promise.race([
    waitFor(scheduler, 'execution:succeeded', () => true, 20_000),
    waitFor(scheduler, 'execution:dead', () => true, 20_000),
  ]);
  await scheduler.submitJob(
    httpJob({
      schedule: once(new Date(Date.now() + 20)),
      target: { type: 'http', url: server.url(), signing: { secret: SECRET }, ...target },
      ...policies,
    }),
  );
  const { executionId } = await end;
  const execution = await scheduler.getExecution(executionId);
  if (!execution) throw new Error('no execution');
  return execution;
}

/** Every request of the execution carried its id as Idempotency-Key and webhook-id. */
function expectSameKeys(execution: Execution, requests = server.seen): void {
  expect(requests.length).toBeGreaterThan(0);
  for (const seen of requests) {
    expect(seen.headers['idempotency-key']).toBe(execution.id);
    expect(seen.headers['webhook-id']).toBe(execution.id);
  }
}

/** How long each attempt ran, in ms, from its record. */
const durations = (execution: Execution) =>
  execution.attempts.map((a) => Date.parse(a.finishedAt) - Date.parse(a.startedAt));

/** Writes a body a chunk every `everyMs` until the connection closes. */
function trickle(res: ServerResponse, everyMs: number): void {
  res.writeHead(200, { 'content-type': 'text/plain' });
  const timer = setInterval(() => res.write('.'), everyMs);
  res.on('close', () => clearInterval(timer));
}

describe('statuses', () => {
  it('500: retried until maxAttempts, exactly, with the same keys', async () => {
    server.reply = (res) => res.writeHead(500).end('database down');
    const execution = await fire({}, { retry: { maxAttempts: 4, ...QUICK_RETRIES } });
    expect(execution.status).toBe('failed');
    expect(server.seen).toHaveLength(4);
    expect(execution.attempts.map((a) => [a.outcome, a.error?.code])).toEqual(
      Array(4).fill(['failed', 'CHIME_ERR_TARGET_REJECTED']),
    );
    expect(execution.attempts[0]?.error?.message).toContain('answered 500: database down');
    expect(server.seen.map((s) => s.headers['x-chime-attempt'])).toEqual(['1', '2', '3', '4']);
    expectSameKeys(execution);
  });

  it('429 with Retry-After in seconds: the next attempt waits that long', async () => {
    server.reply = (res) => {
      if (server.seen.length === 1) res.writeHead(429, { 'retry-after': '1' });
      res.end();
    };
    const execution = await fire({}, { retry: { maxAttempts: 3, ...QUICK_RETRIES } });
    expect(execution.status).toBe('succeeded');
    expect(server.seen).toHaveLength(2);
    const [first, second] = execution.attempts;
    const waited = Date.parse(second?.startedAt ?? '') - Date.parse(first?.finishedAt ?? '');
    expect(waited).toBeGreaterThanOrEqual(1_000);
    expect(waited).toBeLessThan(1_300);
    expectSameKeys(execution);
  });

  it('503 with Retry-After as an HTTP date: the next attempt waits until then', async () => {
    // A whole second, as HTTP dates have no finer grain.
    const until = (Math.floor(Date.now() / 1000) + 2) * 1000;
    server.reply = (res) => {
      if (server.seen.length === 1)
        res.writeHead(503, { 'retry-after': new Date(until).toUTCString() });
      res.end();
    };
    const execution = await fire({}, { retry: { maxAttempts: 2, ...QUICK_RETRIES } });
    expect(execution.status).toBe('succeeded');
    expect(server.seen).toHaveLength(2);
    const retried = Date.parse(execution.attempts[1]?.startedAt ?? '');
    expect(retried).toBeGreaterThanOrEqual(until);
    expect(retried - until).toBeLessThan(300);
    expectSameKeys(execution);
  });

  it('503 with a huge Retry-After waits the policy maxDelay instead, and counts as an attempt', async () => {
    server.reply = (res) => res.writeHead(503, { 'retry-after': '86400' }).end();
    const execution = await fire(
      {},
      { retry: { maxAttempts: 3, ...QUICK_RETRIES, maxDelay: 200 } },
    );
    expect(execution.status).toBe('failed');
    expect(server.seen).toHaveLength(3);
    const [first, second] = execution.attempts;
    const waited = Date.parse(second?.startedAt ?? '') - Date.parse(first?.finishedAt ?? '');
    expect(waited).toBeGreaterThanOrEqual(200);
    expect(waited).toBeLessThan(500);
    expectSameKeys(execution);
  });
});

describe('timeouts', () => {
  it("headers that never come: the target's timeout ends each attempt within 10 %", async () => {
    server.reply = () => undefined;
    const execution = await fire(
      { timeout: 1_000 },
      { retry: { maxAttempts: 2, ...QUICK_RETRIES } },
    );
    expect(execution.attempts.map((a) => [a.outcome, a.error?.code])).toEqual([
      ['timed_out', 'CHIME_ERR_ATTEMPT_TIMEOUT'],
      ['timed_out', 'CHIME_ERR_ATTEMPT_TIMEOUT'],
    ]);
    for (const ms of durations(execution)) {
      expect(ms).toBeGreaterThanOrEqual(1_000);
      expect(ms).toBeLessThanOrEqual(1_100);
    }
    expect(server.seen).toHaveLength(2);
    await within(server.seen[1]?.socketClosed, 2_000, 'the request socket closes');
    expectSameKeys(execution);
  });

  it("a body that trickles slower than the job's timeout: each attempt ends within 10 %", async () => {
    server.reply = (res) => trickle(res, 100);
    const execution = await fire(
      {},
      { timeout: 1_000, retry: { maxAttempts: 2, ...QUICK_RETRIES } },
    );
    expect(execution.attempts.map((a) => [a.outcome, a.error?.code])).toEqual([
      ['timed_out', 'CHIME_ERR_ATTEMPT_TIMEOUT'],
      ['timed_out', 'CHIME_ERR_ATTEMPT_TIMEOUT'],
    ]);
    for (const ms of durations(execution)) {
      expect(ms).toBeGreaterThanOrEqual(1_000);
      expect(ms).toBeLessThanOrEqual(1_100);
    }
    await within(server.seen[1]?.socketClosed, 2_000, 'the request socket closes');
    expectSameKeys(execution);
  });

  it("a trickling body past the target's own timeout, called directly: within 10 %", async () => {
    server.reply = (res) => trickle(res, 50);
    const executor = httpExecutor();
    const started = performance.now();
    const err = await rejection(
      executor.run({ type: 'http', url: server.url(), timeout: '500ms' }, context()),
    );
    const elapsed = performance.now() - started;
    expect(err).toMatchObject({ code: 'CHIME_ERR_ATTEMPT_TIMEOUT' });
    expect(elapsed).toBeGreaterThanOrEqual(500);
    expect(elapsed).toBeLessThanOrEqual(550);
    await within(server.seen[0]?.socketClosed, 2_000, 'the request socket closes');
    await executor.close?.();
  });
});

describe('broken answers', () => {
  it('a connection reset mid-response: unreachable, retried until maxAttempts', async () => {
    server.reply = (res) => {
      res.writeHead(200, { 'content-length': '100000' });
      res.write('the first bytes of a long answer');
      setTimeout(() => res.socket?.resetAndDestroy(), 20);
    };
    const execution = await fire({}, { retry: { maxAttempts: 3, ...QUICK_RETRIES } });
    expect(execution.status).toBe('failed');
    expect(server.seen).toHaveLength(3);
    expect(execution.attempts.map((a) => [a.outcome, a.error?.code])).toEqual(
      Array(3).fill(['failed', 'CHIME_ERR_TARGET_UNREACHABLE']),
    );
    expectSameKeys(execution);
  });

  it('a redirect loop: 5 redirects followed, then the attempt fails; retried until maxAttempts', async () => {
    server.reply = (res, seen) => res.writeHead(302, { location: `/loop${seen.url.length}` }).end();
    const execution = await fire({}, { retry: { maxAttempts: 2, ...QUICK_RETRIES } });
    expect(execution.status).toBe('failed');
    expect(execution.attempts.map((a) => [a.outcome, a.error?.code])).toEqual(
      Array(2).fill(['failed', 'CHIME_ERR_TARGET_REJECTED']),
    );
    expect(execution.attempts[0]?.error?.message).toContain('redirected more than 5 times');
    expect(server.seen).toHaveLength(2 * 6);
    expectSameKeys(execution);
  });
});

describe('a 50 MiB answer', () => {
  const SIZE = 50 * 1024 * 1024;
  /** Bytes the server got into the socket before the client hung up. */
  let sent = 0;
  beforeEach(() => {
    sent = 0;
    server.reply = (res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(SIZE) });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (sent < SIZE && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    };
  });

  it('is recorded capped at maxResponseBytes, and not read whole', async () => {
    const execution = await fire({}, {});
    expect(execution.status).toBe('succeeded');
    expect(execution.result).toEqual({
      status: 200,
      headers: { 'content-type': 'text/plain', 'content-length': String(SIZE) },
      body: 'a'.repeat(2048),
      truncated: true,
    });
    await within(server.seen[0]?.socketClosed, 2_000, 'the answer is cut off');
    expect(sent).toBeLessThan(SIZE / 4);
  });

  it('at the largest maxResponseBytes, the recorded answer still fits maxResultBytes', async () => {
    const execution = await fire({ maxResponseBytes: 65_536 }, {});
    expect(execution.status).toBe('succeeded');
    const result = execution.result as { body: string; truncated: boolean };
    expect(result.truncated).toBe(true);
    expect(result.body).toMatch(/^a+$/);
    expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThanOrEqual(64 * 1024);
    await within(server.seen[0]?.socketClosed, 2_000, 'the answer is cut off');
    expect(sent).toBeLessThan(SIZE / 4);
  });

  it('of escapes and multi-byte characters is cut to fit a small result cap, characters whole', async () => {
    const text = '"é😀\n'.repeat(20_000);
    server.reply = (res) => res.end(text);
    const executor = httpExecutor({ maxResultBytes: 1_000 });
    const result = (await executor.run(
      { type: 'http', url: server.url(), maxResponseBytes: 65_536 },
      context(),
    )) as { body: string; truncated: boolean };
    await executor.close?.();
    const json = JSON.stringify(result);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(1_000);
    expect(Buffer.byteLength(json)).toBeGreaterThan(900);
    expect(result.truncated).toBe(true);
    expect(text.startsWith(result.body)).toBe(true);
    expect(json).not.toMatch(/\\ud[89ab]/i); // no half of a surrogate pair
  });
});
