import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ChimeError } from '../errors.js';

/**
 * What a request may do: `write` (the service token, or no token configured)
 * or `read` (the read-only token: safe methods only).
 */
export type Access = 'write' | 'read';

/** The tokens a service accepts; with neither, every request may write. */
export interface Tokens {
  /** The token that may do everything. */
  token?: string;
  /** The token that may only read; only meaningful beside {@link Tokens.token}. */
  readToken?: string;
}

/** Methods that change nothing, allowed to the read-only token. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A check of `Authorization: Bearer <token>` in constant time, answering the
 * request's access: both sides are hashed first, so neither the tokens'
 * content nor their length leaks through timing, and both tokens are always
 * compared. Throws `CHIME_ERR_UNAUTHORIZED` for a missing or wrong token.
 */
export function accessCheck(tokens: Tokens): (request: FastifyRequest) => Access {
  const write = tokens.token === undefined ? undefined : digest(tokens.token);
  const read = tokens.readToken === undefined ? undefined : digest(tokens.readToken);
  return (request) => {
    if (write === undefined) return 'write';
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const given = digest(match?.[1] ?? '');
    const isWrite = timingSafeEqual(given, write);
    const isRead = read !== undefined && timingSafeEqual(given, read);
    if (match && isWrite) return 'write';
    if (match && isRead) return 'read';
    throw new ChimeError(
      'CHIME_ERR_UNAUTHORIZED',
      match
        ? 'the bearer token is wrong'
        : 'this route needs an Authorization: Bearer <token> header',
    );
  };
}

/** Throws `CHIME_ERR_FORBIDDEN` when a read-only request would change something. */
export function assertAllowed(access: Access, method: string): void {
  if (access === 'read' && !SAFE_METHODS.has(method)) {
    throw new ChimeError(
      'CHIME_ERR_FORBIDDEN',
      `the read-only token cannot ${method} here: use the service token to change anything`,
    );
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
