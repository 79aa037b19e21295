import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ChimeError, ERRORS, type ErrorCode } from '../errors.js';
import { MAX_PATH_PARAM_LENGTH } from '../model/limits.js';
import { redactUrlsIn } from '../model/secrets.js';

/** The body of every error answer: RFC 9457 problem details plus chime's code and path. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  path?: string;
  instance: string;
}

/** Fastify's own errors, as chime errors. */
function fromFastify(err: FastifyError): ChimeError | undefined {
  const code = err.code ?? '';
  if (code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return new ChimeError(
      'CHIME_ERR_URL_TOO_LONG',
      `a path segment is longer than ${MAX_PATH_PARAM_LENGTH} characters: no id is that long`,
    );
  }
  if (code === 'FST_ERR_BAD_URL')
    return new ChimeError('CHIME_ERR_INVALID_INPUT', 'the path is not valid percent-encoding');
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new ChimeError('CHIME_ERR_BODY_TOO_LARGE', err.message);
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return new ChimeError('CHIME_ERR_UNSUPPORTED_MEDIA_TYPE', err.message);
  if (
    code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    err instanceof SyntaxError
  ) {
    return new ChimeError(
      'CHIME_ERR_INVALID_JSON',
      `the request body is not valid JSON: ${err.message}`,
      { path: '' },
    );
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new ChimeError('CHIME_ERR_INVALID_INPUT', err.message);
  }
  return undefined;
}

/** The problem an error answers with; anything unexpected is a 500 without internals. */
export function toProblem(err: unknown, instance: string): Problem {
  const chime = err instanceof ChimeError ? err : fromFastify(err as FastifyError);
  if (!chime) {
    return {
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'an unexpected error occurred; see the service log',
      code: 'CHIME_ERR_INTERNAL',
      instance,
    };
  }
  const problem: Problem = {
    type: `https://github.com/chime/chime/blob/main/docs/errors.md#${chime.code.toLowerCase()}`,
    title: ERRORS[chime.code].description,
    status: chime.status,
    // A message may quote input: a password in a URL never leaves.
    detail: redactUrlsIn(chime.message),
    code: chime.code,
    instance,
  };
  if (chime.path !== undefined) problem.path = chime.path;
  return problem;
}

/** Fastify's error handler: every error as `application/problem+json`. */
export function problemHandler(
  err: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const problem = toProblem(err, request.url);
  if (problem.status >= 500) request.log.error({ err }, 'request failed');
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

/**
 * Answers, as a problem, a request Node's HTTP parser refused before fastify
 * saw it: a malformed request, a request line and headers too large, a
 * request not received in time. The connection is closed after it.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code !== 'ECONNRESET' && socket.writable) {
    const chime =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new ChimeError('CHIME_ERR_REQUEST_TIMEOUT', 'the request was not received in time')
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? new ChimeError(
              'CHIME_ERR_HEADERS_TOO_LARGE',
              'the request line and headers are too large',
            )
          : new ChimeError('CHIME_ERR_HTTP_INVALID', 'the request is not valid HTTP/1.1');
    const body = JSON.stringify(toProblem(chime, ''));
    socket.write(
      `HTTP/1.1 ${chime.status} ${STATUS_CODES[chime.status] ?? ''}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/** Fastify's not-found handler. */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const err = new ChimeError(
    'CHIME_ERR_ROUTE_NOT_FOUND',
    `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
  );
  return problemHandler(err, request, reply);
}
