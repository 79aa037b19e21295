/**
 * Serving the web dashboard: the files `npm run build` writes to
 * `dist/dashboard` (hashed assets cached for a year, the page never), its
 * client-side routes answered with its page, every answer with a strict
 * Content-Security-Policy and the usual security headers. When the files are
 * missing, its routes answer 503 `CHIME_ERR_DASHBOARD_NOT_BUILT` saying how
 * to build them (a short page for browsers, problem+json otherwise).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ChimeError } from '../errors.js';
import { problemHandler } from './problem.js';
import type { Api } from './routes/context.js';

/** The client-side routes of the dashboard: each answers with its page. */
const PAGE_ROUTES = ['/', '/jobs', '/jobs/*', '/new', '/executions', '/executions/*'];
const ASSET_ROUTE = '/assets/*';
const ICON_ROUTE = '/favicon.svg';

/** The dashboard's routes: public (the files hold no data; the page asks for the token). */
export const DASHBOARD_ROUTES: ReadonlySet<string> = new Set([
  ...PAGE_ROUTES,
  ASSET_ROUTE,
  ICON_ROUTE,
]);

/**
 * No script or style but the dashboard's own files, no frames, no plugins,
 * no base or form tricks; data only from this origin.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

/** Where `npm run build` puts the dashboard: `<package>/dist/dashboard`, from `src/` or `dist/`. */
export function builtDashboardDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && isChimePackage(manifest)) return join(dir, 'dist', 'dashboard');
    const parent = dirname(dir);
    if (parent === dir) return join(dirname(fileURLToPath(import.meta.url)), '..', 'dashboard');
    dir = parent;
  }
}

function isChimePackage(manifest: string): boolean {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'chime';
  } catch {
    return false;
  }
}

/** Registers the dashboard's routes, serving the built files in `dir`. */
export async function dashboardRoutes(app: Api, dir: string): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply) => {
      reply.headers(SECURITY_HEADERS);
    });
    if (!existsSync(join(dir, 'index.html'))) {
      for (const url of DASHBOARD_ROUTES) scope.get(url, { schema: { hide: true } }, notBuilt(dir));
      return;
    }
    await scope.register(fastifyStatic, {
      root: join(dir, 'assets'),
      prefix: '/assets/',
      index: false,
      immutable: true,
      maxAge: '365d',
      schemaHide: true,
    });
    const page = (_request: FastifyRequest, reply: FastifyReply) =>
      reply
        .header('cache-control', 'no-cache')
        .sendFile('index.html', dir, { cacheControl: false });
    for (const url of PAGE_ROUTES) scope.get(url, { schema: { hide: true } }, page);
    scope.get(ICON_ROUTE, { schema: { hide: true } }, (_request, reply) =>
      reply.sendFile('favicon.svg', dir, { maxAge: '1d' }),
    );
  });
}

/** The answer of every dashboard route while the files are missing. */
function notBuilt(dir: string) {
  const why =
    `the web dashboard is not built: no ${join(dir, 'index.html')}. ` +
    'Run `npm run build` (or `npm run build:dashboard`) in the chime package, then restart.';
  return (request: FastifyRequest, reply: FastifyReply) => {
    const err = new ChimeError('CHIME_ERR_DASHBOARD_NOT_BUILT', why);
    if (!(request.headers.accept ?? '').includes('text/html'))
      return problemHandler(err, request, reply);
    return reply
      .code(503)
      .type('text/html; charset=utf-8')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>chime</title></head>` +
          `<body><h1>The dashboard is not built</h1><p>${escapeHtml(why)}</p>` +
          `<p>The API answers under <a href="/openapi.json">/openapi.json</a>.</p></body></html>`,
      );
  };
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}
