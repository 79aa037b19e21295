/**
 * Every error of every route is `application/problem+json` with a chime code,
 * fastify's and Node's own included: a route or method that does not exist,
 * a body too large, of the wrong type or not JSON, a path that is not valid
 * percent-encoding or too long, a request that is not HTTP, headers too large,
 * a request not received in time, a request that arrives while closing. And
 * every job id that can be created can be addressed.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JOB_ID_LENGTH, MAX_PATH_PARAM_LENGTH } from '../../src/model/limits.js';
import { clientErrorHandler, type Problem } from '../../src/service/problem.js';
import { call, startTestService, type TestService } from './harness.js';

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({ 'body-limit': '4kb' });
});

afterAll(async () => {
  await svc?.close();
});

/** An answer read off the wire: status, lower-cased headers, body. */
interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function parseAnswer(text: string): RawAnswer {
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

/** Writes `request` as it is to the service and reads until the service closes (or 2 s pass). */
async function raw(request: string, port = Number(new URL(svc.url).port)): Promise<RawAnswer> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(request);
  await new Promise((resolve) => {
    socket.once('close', resolve);
    setTimeout(resolve, 2_000);
  });
  socket.destroy();
  return parseAnswer(text);
}

function expectProblem(status: number, contentType: string | null | undefined, body: string) {
  expect(contentType, body).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(body) as Problem;
  expect(problem.status).toBe(status);
  expect(problem.code).toMatch(/^CHIME_ERR_[A-Z_]+$/);
  return problem;
}

describe('job ids', () => {
  const longest = `a${'b'.repeat(MAX_JOB_ID_LENGTH - 1)}`;
  const colons = `a${':'.repeat(MAX_JOB_ID_LENGTH - 1)}`;

  it.each([
    ['200 characters', longest],
    ['200 characters, every one but the first percent-encoded', colons],
  ])('of %s are created and addressed by every route', async (_, id) => {
    const path = `/v1/jobs/${encodeURIComponent(id)}`;
    const created = await call(svc.url, 'POST', '/v1/jobs', {
      body: { id, schedule: { kind: 'interval', every: '1h' } },
    });
    expect(created.status, created.text).toBe(201);
    const calls: [string, string, number, unknown?][] = [
      ['GET', path, 200],
      ['PUT', path, 200, { schedule: { kind: 'interval', every: '2h' } }],
      ['PATCH', path, 200, { metadata: { a: 'b' } }],
      ['POST', `${path}/pause`, 200],
      ['POST', `${path}/resume`, 200],
      ['POST', `${path}/trigger`, 202, {}],
      ['GET', `${path}/executions`, 200],
      ['DELETE', path, 204],
    ];
    for (const [method, at, status, body] of calls) {
      const answer = await call(svc.url, method, at, body === undefined ? {} : { body });
      expect(answer.status, `${method} ${at}: ${answer.text}`).toBe(status);
    }
  });

  it('one character too long is CHIME_ERR_JOB_ID_INVALID at create and at address', async () => {
    const id = `${longest}c`;
    const created = await call<Problem>(svc.url, 'POST', '/v1/jobs', {
      body: { id, schedule: { kind: 'interval', every: '1h' } },
    });
    expect(created.json).toMatchObject({ status: 400, code: 'CHIME_ERR_JOB_ID_INVALID' });
    for (const method of ['GET', 'DELETE']) {
      const answer = await call<Problem>(svc.url, method, `/v1/jobs/${id}`);
      expectProblem(400, answer.headers.get('content-type'), answer.text);
      expect(answer.json).toMatchObject({ code: 'CHIME_ERR_JOB_ID_INVALID', path: '/id' });
    }
  });
});

describe('errors of the framework and the HTTP server', () => {
  const cases: [string, string, string, number, string, { body?: string; type?: string }][] = [
    ['an unknown route', 'GET', '/nothing', 404, 'CHIME_ERR_ROUTE_NOT_FOUND', {}],
    [
      'an unknown method of a route',
      'PATCH',
      '/v1/executions',
      404,
      'CHIME_ERR_ROUTE_NOT_FOUND',
      {},
    ],
    [
      'a body too large',
      'POST',
      '/v1/jobs',
      413,
      'CHIME_ERR_BODY_TOO_LARGE',
      { body: `"${'x'.repeat(5000)}"` },
    ],
    [
      'a body of another type',
      'POST',
      '/v1/jobs',
      415,
      'CHIME_ERR_UNSUPPORTED_MEDIA_TYPE',
      { body: 'x', type: 'text/csv' },
    ],
    [
      'a body that is not JSON',
      'PUT',
      '/v1/jobs/a',
      400,
      'CHIME_ERR_INVALID_JSON',
      { body: '{"a":' },
    ],
    [
      'a path that is not percent-encoding',
      'GET',
      '/v1/jobs/%zz',
      400,
      'CHIME_ERR_INVALID_INPUT',
      {},
    ],
    [
      'a job id segment too long',
      'GET',
      `/v1/jobs/${'a'.repeat(MAX_PATH_PARAM_LENGTH + 1)}`,
      414,
      'CHIME_ERR_URL_TOO_LONG',
      {},
    ],
    [
      'an execution id segment too long',
      'GET',
      `/v1/executions/${'a'.repeat(MAX_PATH_PARAM_LENGTH + 1)}`,
      414,
      'CHIME_ERR_URL_TOO_LONG',
      {},
    ],
  ];

  it.each(cases)('%s: %s %s → %i %s', async (_, method, path, status, code, { body, type }) => {
    const answer = await call<Problem>(svc.url, method, path, {
      ...(body === undefined ? {} : { body, raw: true }),
      headers: type === undefined ? {} : { 'content-type': type },
    });
    expect(answer.status, answer.text).toBe(status);
    expect(expectProblem(status, answer.headers.get('content-type'), answer.text).code).toBe(code);
  });

  it.each([
    ['a request line that is not HTTP', 400, 'CHIME_ERR_HTTP_INVALID', 'HELLO\r\n\r\n'],
    [
      'an unknown method',
      400,
      'CHIME_ERR_HTTP_INVALID',
      'FROB /v1/jobs HTTP/1.1\r\nHost: x\r\n\r\n',
    ],
    [
      'a header without a colon',
      400,
      'CHIME_ERR_HTTP_INVALID',
      'GET /v1/jobs HTTP/1.1\r\nHost x\r\n\r\n',
    ],
    [
      'headers too large',
      431,
      'CHIME_ERR_HEADERS_TOO_LARGE',
      `GET /v1/jobs HTTP/1.1\r\nHost: x\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`,
    ],
  ])('%s → %i %s', async (_, status, code, request) => {
    const answer = await raw(request);
    expect(answer.status, answer.body).toBe(status);
    expect(expectProblem(status, answer.headers['content-type'], answer.body).code).toBe(code);
  });

  it('a malformed request after a good one on the same connection → 400 CHIME_ERR_HTTP_INVALID', async () => {
    const port = Number(new URL(svc.url).port);
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => socket.once('data', resolve));
    socket.write('HELLO\r\n\r\n');
    await new Promise((resolve) => socket.once('close', resolve));
    const second = parseAnswer(text.slice(text.indexOf('HTTP/1.1 400')));
    expect(text.startsWith('HTTP/1.1 200'), text).toBe(true);
    expect(second.status, text).toBe(400);
    expect(expectProblem(400, second.headers['content-type'], second.body).code).toBe(
      'CHIME_ERR_HTTP_INVALID',
    );
  });

  it('a request not received in time → 408 CHIME_ERR_REQUEST_TIMEOUT', () => {
    // Node checks request deadlines every 30 s: the handler it calls is checked directly.
    let written = '';
    let destroyed = false;
    const socket = {
      writable: true,
      write: (text: string) => (written += text),
      destroy: () => (destroyed = true),
    } as unknown as Socket;
    const timeout = Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
    clientErrorHandler(timeout, socket);
    const answer = parseAnswer(written);
    expect(answer.status).toBe(408);
    expect(expectProblem(408, answer.headers['content-type'], answer.body).code).toBe(
      'CHIME_ERR_REQUEST_TIMEOUT',
    );
    expect(destroyed).toBe(true);
  });

  it('a request that arrives while the service closes → 503 CHIME_ERR_SCHEDULER_STOPPED', async () => {
    const closing = await startTestService();
    const socket = connect(Number(new URL(closing.url).port), '127.0.0.1');
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    await new Promise((resolve) => socket.once('connect', resolve));
    // A request in flight keeps the connection open; a second is pipelined behind it.
    const body = '{"schedule":{"kind":"interval","every":"1h"}}';
    socket.write(
      `PUT /v1/jobs/a HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = closing.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.write(`${body.slice(5)}GET /v1/jobs HTTP/1.1\r\nHost: x\r\n\r\n`);
    await new Promise((resolve) => socket.once('close', resolve));
    await closed;
    const second = parseAnswer(text.slice(text.indexOf('HTTP/1.1', 1)));
    expect(second.status, text).toBe(503);
    expect(expectProblem(503, second.headers['content-type'], second.body).code).toBe(
      'CHIME_ERR_SCHEDULER_STOPPED',
    );
  });
});
