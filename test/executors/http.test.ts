import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ChimeError,
  createScheduler,
  memoryStore,
  once,
  PermanentError,
  RetryAfterError,
  type JobDefinition,
  type Scheduler,
} from '../../src/index.js';
import { httpExecutor, HttpTargetSchema, type HttpTarget } from '../../src/executors/http/index.js';
import { parseRetryAfter } from '../../src/executors/http/http-executor.js';
import { REDACTED, redactSecrets } from '../../src/model/secrets.js';
import { waitFor } from '../helpers/events.js';
import { context, httpJob, RecordingServer, rejection, within } from '../helpers/http.js';
import { silent } from '../helpers/scheduler.js';

let server: RecordingServer;
beforeEach(async () => {
  server = await new RecordingServer().start();
});
afterEach(async () => server.stop());

describe('http target through a scheduler', () => {
  let scheduler: Scheduler;
  beforeEach(() => {
    scheduler = createScheduler({
      store: memoryStore(),
      executors: [httpExecutor()],
      logger: silent,
      pollIntervalMs: 50,
    });
  });
  afterEach(async () => scheduler.stop({ timeoutMs: 0 }));

  async function submit(
    target: HttpTarget,
    extra: Omit<JobDefinition, 'target' | 'schedule'> = {},
  ): Promise<void> {
    await scheduler.start();
    await scheduler.submitJob(
      httpJob({ id: 'hook', schedule: once(new Date(Date.now() + 50)), target, ...extra }),
    );
  }

  it('POSTs the payload as JSON with the idempotency and chime headers, and records the response', async () => {
    server.reply = (res) => res.setHeader('content-type', 'text/plain').end('thanks');
    const done = waitFor(scheduler, 'execution:succeeded');
    await submit(
      { type: 'http', url: server.url('/hook?x=1'), headers: { 'X-Custom': 'yes' } },
      { payload: { order: 7 } },
    );
    const { executionId } = await done;
    const execution = await scheduler.getExecution(executionId);
    const [req] = server.seen;
    expect(req).toMatchObject({ method: 'POST', url: '/hook?x=1', body: '{"order":7}' });
    expect(req?.headers).toMatchObject({
      'idempotency-key': executionId,
      'x-chime-job-id': 'hook',
      'x-chime-fire-at': execution?.fireAt,
      'x-chime-attempt': '1',
      'content-type': 'application/json',
      'user-agent': 'chime',
      'x-custom': 'yes',
    });
    expect(execution?.result).toEqual({
      status: 200,
      headers: { 'content-type': 'text/plain', 'content-length': '6' },
      body: 'thanks',
      truncated: false,
    });
  });

  it('fails at once on a permanent status (404), without retries', async () => {
    server.reply = (res) => res.writeHead(404).end('no such hook');
    const dead = waitFor(scheduler, 'execution:dead');
    await submit(
      { type: 'http', url: server.url() },
      { retry: { maxAttempts: 5, initialDelay: 50 } },
    );
    const { error, attempt } = await dead;
    expect(attempt).toBe(1);
    expect(error).toMatchObject({ name: 'PermanentError' });
    expect(error.message).toContain('answered 404: no such hook');
    expect(server.seen).toHaveLength(1);
  });

  it('refuses, at submit time, a host outside allowHosts', async () => {
    const guarded = createScheduler({
      store: memoryStore(),
      executors: [httpExecutor({ allowHosts: ['*.example.com', 'hooks.internal'] })],
      logger: silent,
    });
    await guarded.start();
    const submitted = guarded.submitJob(
      httpJob({
        schedule: once(new Date(Date.now() + 60_000)),
        target: { type: 'http', url: server.url() },
      }),
    );
    await expect(submitted).rejects.toMatchObject({
      code: 'CHIME_ERR_INVALID_INPUT',
      path: '/target/url',
    });
    const onFailure = guarded.submitJob({
      schedule: once(new Date(Date.now() + 60_000)),
      onFailure: {
        type: 'http',
        url: 'https://evil.test/x',
      } as unknown as JobDefinition['onFailure'],
    });
    await expect(onFailure).rejects.toMatchObject({ path: '/onFailure/url' });
    await expect(
      guarded.submitJob(
        httpJob({
          schedule: once(new Date(Date.now() + 60_000)),
          target: { type: 'http', url: 'https://api.example.com/hook' },
        }),
      ),
    ).resolves.toMatchObject({ target: { url: 'https://api.example.com/hook' } });
    await guarded.stop({ timeoutMs: 0 });
  });

  const badTargets: [string, Record<string, unknown>, string, string][] = [
    ['missing url', { url: undefined }, 'CHIME_ERR_MISSING_FIELD', '/target/url'],
    [
      'ftp url',
      { type: 'http', url: 'ftp://files.test/x' },
      'CHIME_ERR_INVALID_INPUT',
      '/target/url',
    ],
    [
      'unparsable url',
      { type: 'http', url: 'http://exa mple/' },
      'CHIME_ERR_INVALID_INPUT',
      '/target/url',
    ],
    ['bad method', { method: 'FETCH' }, 'CHIME_ERR_INVALID_INPUT', '/target/method'],
    [
      'bad acceptStatus',
      { acceptStatus: ['2xx', 'abc'] },
      'CHIME_ERR_INVALID_INPUT',
      '/target/acceptStatus/1',
    ],
    [
      'reversed range',
      { acceptStatus: ['299-200'] },
      'CHIME_ERR_INVALID_INPUT',
      '/target/acceptStatus/0',
    ],
    [
      'status out of range',
      { acceptStatus: [700] },
      'CHIME_ERR_INVALID_INPUT',
      '/target/acceptStatus/0',
    ],
    ['unknown field', { retries: 3 }, 'CHIME_ERR_UNKNOWN_FIELD', '/target/retries'],
    ['bad auth type', { auth: { type: 'digest' } }, 'CHIME_ERR_INVALID_INPUT', '/target/auth/type'],
    [
      'bearer without token',
      { auth: { type: 'bearer' } },
      'CHIME_ERR_MISSING_FIELD',
      '/target/auth/token',
    ],
    [
      'basic with a token',
      { auth: { type: 'basic', username: 'u', password: 'p', token: 't' } },
      'CHIME_ERR_UNKNOWN_FIELD',
      '/target/auth/token',
    ],
    [
      'auth and url credentials',
      { url: 'http://u:p@hooks.test/', auth: { type: 'bearer', token: 't' } },
      'CHIME_ERR_INVALID_INPUT',
      '/target/auth',
    ],
    [
      'reserved header',
      { headers: { 'Idempotency-Key': 'x' } },
      'CHIME_ERR_INVALID_INPUT',
      '/target/headers/Idempotency-Key',
    ],
    [
      'header injection',
      { headers: { 'X-A': 'a\r\nX-B: b' } },
      'CHIME_ERR_INVALID_INPUT',
      '/target/headers/X-A',
    ],
    ['GET with a body', { method: 'GET', body: 'x' }, 'CHIME_ERR_INVALID_INPUT', '/target/body'],
    ['bad timeout', { timeout: 'soon' }, 'CHIME_ERR_DURATION_INVALID', '/target/timeout'],
    ['zero timeout', { timeout: 0 }, 'CHIME_ERR_INVALID_INPUT', '/target/timeout'],
    ['bad redirect', { redirect: 'sometimes' }, 'CHIME_ERR_INVALID_INPUT', '/target/redirect'],
  ];
  it.each(badTargets)('rejects a target with %s', async (_name, fields, code, path) => {
    // JSON drops the fields a row sets to undefined.
    const target = JSON.parse(
      JSON.stringify({ type: 'http', url: 'https://hooks.test/x', ...fields }),
    ) as HttpTarget;
    const submitted = scheduler.submitJob(
      httpJob({ schedule: once(new Date(Date.now() + 60_000)), target }),
    );
    const err = await rejection(submitted);
    expect(err).toBeInstanceOf(ChimeError);
    expect(err).toMatchObject({ code, path });
  });
});

describe('http executor run', () => {
  const executor = httpExecutor();
  afterEach(async () => executor.close?.());

  it('sends a string body as is, with the method and bearer auth', async () => {
    await executor.run(
      {
        type: 'http',
        url: server.url(),
        method: 'PUT',
        body: 'hello',
        auth: { type: 'bearer', token: 'tok' },
      },
      context(),
    );
    expect(server.seen[0]).toMatchObject({ method: 'PUT', body: 'hello' });
    expect(server.seen[0]?.headers).toMatchObject({
      authorization: 'Bearer tok',
      'content-type': 'text/plain; charset=utf-8',
    });
  });

  it('sends basic auth, from auth or from the url, and no body with GET', async () => {
    await executor.run(
      { type: 'http', url: server.url(), auth: { type: 'basic', username: 'ann', password: 'pw' } },
      context(),
    );
    const withUser = `http://bob:s%3Acret@127.0.0.1:${server.port}/get`;
    await executor.run({ type: 'http', url: withUser, method: 'GET' }, context());
    expect(server.seen.map((s) => s.headers.authorization)).toEqual([
      `Basic ${Buffer.from('ann:pw').toString('base64')}`,
      `Basic ${Buffer.from('bob:s:cret').toString('base64')}`,
    ]);
    expect(server.seen[1]).toMatchObject({ method: 'GET', url: '/get', body: '' });
  });

  it('sends a JSON body given in the target instead of the payload, and no body for a null payload', async () => {
    await executor.run({ type: 'http', url: server.url(), body: { fixed: true } }, context());
    await executor.run({ type: 'http', url: server.url() }, context(undefined, null));
    expect(server.seen.map((s) => [s.body, s.headers['content-type']])).toEqual([
      ['{"fixed":true}', 'application/json'],
      ['', undefined],
    ]);
  });

  it('accepts the statuses of acceptStatus only', async () => {
    server.reply = (res) => res.writeHead(server.seen.length === 1 ? 418 : 204).end();
    const accepted = await executor.run(
      { type: 'http', url: server.url(), acceptStatus: ['4xx'] },
      context(),
    );
    expect(accepted).toMatchObject({ status: 418 });
    const err = await rejection(
      executor.run({ type: 'http', url: server.url(), acceptStatus: [200, '400-418'] }, context()),
    );
    expect(err).toMatchObject({ code: 'CHIME_ERR_TARGET_REJECTED' });
    expect(err.message).toContain('answered 204');
  });

  it('records a capped excerpt of the body without splitting a character', async () => {
    server.reply = (res) => res.end(server.seen.length === 1 ? 'x'.repeat(5_000) : 'ééé');
    expect(await executor.run({ type: 'http', url: server.url() }, context())).toMatchObject({
      body: 'x'.repeat(2048),
      truncated: true,
    });
    expect(
      await executor.run({ type: 'http', url: server.url(), maxResponseBytes: 3 }, context()),
    ).toMatchObject({
      body: 'é',
      truncated: true,
    });
  });

  it('asks for the Retry-After delay of a 503, in seconds or as an HTTP date', async () => {
    server.reply = (res) => res.writeHead(503, { 'retry-after': '7' }).end();
    const err = await rejection(executor.run({ type: 'http', url: server.url() }, context()));
    expect(err).toBeInstanceOf(RetryAfterError);
    expect((err as RetryAfterError).retryAfterMs).toBe(7_000);
    const now = Date.parse('Wed, 21 Oct 2015 07:27:00 GMT');
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:26:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('follows redirects: 303 becomes GET, 307 keeps the body', async () => {
    server.reply = (res, seen) => {
      if (seen.url === '/hook') res.writeHead(307, { location: '/moved' }).end();
      else if (seen.url === '/moved') res.writeHead(303, { location: '/done' }).end();
      else res.end('there');
    };
    expect(await executor.run({ type: 'http', url: server.url() }, context())).toMatchObject({
      status: 200,
      body: 'there',
    });
    expect(server.seen.map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', '/hook', '{"n":1}'],
      ['POST', '/moved', '{"n":1}'],
      ['GET', '/done', ''],
    ]);
  });

  it('fails on a redirect with redirect "error", and returns it with "manual"', async () => {
    server.reply = (res) => res.writeHead(302, { location: '/elsewhere' }).end();
    const err = await rejection(
      executor.run({ type: 'http', url: server.url(), redirect: 'error' }, context()),
    );
    expect(err).toMatchObject({ code: 'CHIME_ERR_TARGET_REJECTED' });
    const manual = await executor.run(
      { type: 'http', url: server.url(), redirect: 'manual', acceptStatus: ['3xx'] },
      context(),
    );
    expect(manual).toMatchObject({ status: 302 });
    expect(server.seen.map((s) => s.url)).toEqual(['/hook', '/hook']);
  });

  it('refuses at run time a host outside allowHosts, also when a redirect leads there', async () => {
    const guarded = httpExecutor({ allowHosts: ['127.0.0.1'] });
    const outside = await rejection(
      guarded.run({ type: 'http', url: `http://localhost:${server.port}/` }, context()),
    );
    expect(outside).toBeInstanceOf(PermanentError);
    expect(server.seen).toHaveLength(0);
    server.reply = (res) =>
      res.writeHead(302, { location: `http://localhost:${server.port}/inside` }).end();
    const redirected = await rejection(guarded.run({ type: 'http', url: server.url() }, context()));
    expect(redirected).toBeInstanceOf(PermanentError);
    expect(server.seen.map((s) => s.url)).toEqual(['/hook']);
    await guarded.close?.();
  });

  it('rejects allowHosts entries that are not hostnames', () => {
    expect(() => httpExecutor({ allowHosts: ['ok.test', 'http://x.test/'] })).toThrow(
      expect.objectContaining({ code: 'CHIME_ERR_OPTION_INVALID', path: '/allowHosts/1' }),
    );
  });

  it('throws the signal reason when the attempt signal aborts', async () => {
    server.reply = () => undefined;
    const controller = new AbortController();
    const running = executor.run({ type: 'http', url: server.url() }, context(controller.signal));
    while (server.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const reason = new ChimeError('CHIME_ERR_SHUTDOWN', 'stopping');
    controller.abort(reason);
    expect(await rejection(running)).toBe(reason);
    await within(server.seen[0]?.socketClosed, 2_000, 'the request socket closes');
  });

  it('reports a closed port as unreachable', async () => {
    const closed = await new RecordingServer().start();
    const url = closed.url();
    await closed.stop();
    const err = await rejection(executor.run({ type: 'http', url }, context()));
    expect(err).toMatchObject({ code: 'CHIME_ERR_TARGET_UNREACHABLE' });
    expect(err.message).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+ could not be reached/);
  });

  it('closes its pooled connections in close()', async () => {
    const own = httpExecutor();
    await own.run({ type: 'http', url: server.url() }, context());
    await own.close?.();
    await within(server.seen[0]?.socketClosed, 2_000, 'the request socket closes');
  });
});

describe('http target secrets', () => {
  it('redacts the token, the password, credential headers and a password inside the url', () => {
    const target: HttpTarget = {
      type: 'http',
      url: 'https://user:hunter2@hooks.test/x',
      headers: { Authorization: 'Bearer a', 'X-Api-Key': 'k', Accept: 'text/plain' },
      auth: { type: 'basic', username: 'ann', password: 'pw' },
    };
    expect(redactSecrets(HttpTargetSchema, target)).toEqual({
      type: 'http',
      url: `https://user:${REDACTED}@hooks.test/x`,
      headers: { Authorization: REDACTED, 'X-Api-Key': REDACTED, Accept: 'text/plain' },
      auth: { type: 'basic', username: 'ann', password: REDACTED },
    });
    expect(
      redactSecrets(HttpTargetSchema, {
        type: 'http',
        url: 'https://h.test',
        auth: { type: 'bearer', token: 't' },
      }),
    ).toMatchObject({
      auth: { type: 'bearer', token: REDACTED },
    });
  });
});
