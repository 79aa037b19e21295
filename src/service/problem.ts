import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ChimeError, ERRORS, type ErrorCode } from '../errors.js';

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
    detail: chime.message,
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

/** Fastify's not-found handler. */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const err = new ChimeError(
    'CHIME_ERR_ROUTE_NOT_FOUND',
    `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
  );
  return problemHandler(err, request, reply);
}
