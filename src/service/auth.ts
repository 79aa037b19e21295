import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ChimeError } from '../errors.js';

/**
 * A check of `Authorization: Bearer <token>` in constant time: both sides are
 * hashed first, so neither their content nor their length leaks through timing.
 */
export function bearerCheck(token: string): (request: FastifyRequest) => Promise<void> {
  const expected = digest(token);
  return async (request) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1] ?? ''), expected)) {
      throw new ChimeError(
        'CHIME_ERR_UNAUTHORIZED',
        match
          ? 'the bearer token is wrong'
          : 'this route needs an Authorization: Bearer <token> header',
      );
    }
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
