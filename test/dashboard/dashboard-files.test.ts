/**
 * How `chime serve` serves the dashboard: its page at every client route,
 * hashed assets cached for good, a strict Content-Security-Policy and the
 * security headers on every answer, no token needed for the files (the page
 * asks for it), and a clear answer when the files were never built.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtDashboardDir, CONTENT_SECURITY_POLICY } from '../../src/service/dashboard.js';
import type { Problem } from '../../src/service/problem.js';
import { tempDir } from '../helpers/files.js';
import { call, startTestService, type TestService } from '../service/harness.js';

const TOKEN = 'files-token-0123456789ab';
const page = readFileSync(join(builtDashboardDir(), 'index.html'), 'utf8');
const assets = [...page.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] ?? '');

function expectSecurityHeaders(headers: Headers): void {
  expect(headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('cross-origin-opener-policy')).toBe('same-origin');
}

describe('the built dashboard', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ token: TOKEN });
  });
  afterAll(async () => svc?.close());

  it.each([
    '/',
    '/jobs',
    '/jobs/nightly-report',
    '/jobs/a:b.c/edit',
    '/new',
    '/executions',
    '/executions/0190',
  ])('answers %s with its page, no token needed, never cached', async (path) => {
    const answer = await call(svc.url, 'GET', path);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    expect(answer.headers.get('cache-control')).toBe('no-cache');
    expect(answer.text).toBe(page);
    expectSecurityHeaders(answer.headers);
  });

  it('serves its hashed assets for a year, and 404s what is not there', async () => {
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const answer = await call(svc.url, 'GET', asset);
      expect(answer.status, asset).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(
        /^(text\/javascript|application\/javascript|text\/css)/,
      );
      expect(answer.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expectSecurityHeaders(answer.headers);
    }
    const missing = await call<Problem>(svc.url, 'GET', '/assets/nope-123.js');
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('CHIME_ERR_ROUTE_NOT_FOUND');
    expect((await call(svc.url, 'GET', '/favicon.svg')).headers.get('content-type')).toMatch(
      /^image\/svg\+xml/,
    );
  });

  it('keeps the API behind the token', async () => {
    expect((await call(svc.url, 'GET', '/v1/jobs')).status).toBe(401);
  });

  it('has no inline script or style and loads nothing from elsewhere', () => {
    const scripts = [...page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="\/assets\//);
      expect(body?.trim()).toBe('');
    }
    expect(page).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=|https?:\/\//i);
    const css = readFileSync(
      join(builtDashboardDir(), assets.find((a) => a.endsWith('.css')) ?? ''),
      'utf8',
    );
    expect(css).not.toMatch(/url\(|@import|https?:\/\//);
  });
});

describe('without the built files', () => {
  it('answers 503 CHIME_ERR_DASHBOARD_NOT_BUILT saying how to build, as a page for browsers', async () => {
    const { dir, cleanup } = tempDir('chime-no-dashboard-');
    const svc = await startTestService({}, undefined, { dashboardDir: dir });
    try {
      const json = await call<Problem>(svc.url, 'GET', '/');
      expect(json.status).toBe(503);
      expect(json.json).toMatchObject({ code: 'CHIME_ERR_DASHBOARD_NOT_BUILT', status: 503 });
      expect(json.json.detail).toContain('npm run build');
      const html = await call(svc.url, 'GET', '/jobs/x', { headers: { accept: 'text/html' } });
      expect(html.status).toBe(503);
      expect(html.headers.get('content-type')).toMatch(/^text\/html/);
      expect(html.text).toContain('npm run build');
      expectSecurityHeaders(html.headers);
      expect((await call(svc.url, 'GET', '/v1/jobs')).status).toBe(200);
    } finally {
      await svc.close();
      cleanup();
    }
  });
});

describe('--dashboard=false', () => {
  it('serves the API only', async () => {
    const svc = await startTestService({ dashboard: 'false' });
    try {
      const answer = await call<Problem>(svc.url, 'GET', '/');
      expect(answer.status).toBe(404);
      expect(answer.json.code).toBe('CHIME_ERR_ROUTE_NOT_FOUND');
    } finally {
      await svc.close();
    }
  });
});
