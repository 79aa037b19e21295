import type { FastifyRequest } from 'fastify';
import type { Access } from '../auth.js';
import type { Api } from './context.js';

/** `GET /v1/access`: what the caller's token may do, so a client (the dashboard) shows only what works. */
export function accessRoutes(
  app: Api,
  accessOf: (request: FastifyRequest) => Access,
  tokenRequired: boolean,
): void {
  app.get(
    '/v1/access',
    {
      schema: {
        tags: ['meta'],
        summary: 'What the caller may do: write (everything) or read (GET routes only)',
      },
    },
    async (request) => ({ access: accessOf(request), tokenRequired }),
  );
}
