/**
 * Headless Chromium for the dashboard tests: Debian's `chromium` driven by
 * playwright-core (never a downloaded browser), a fresh profile per test
 * file, and pages that record what must never happen — a JavaScript dialog,
 * an uncaught error, a Content-Security-Policy violation.
 */
import { existsSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { TestService } from '../service/harness.js';
import { CHROMIUM, launchBrowser, type TestBrowser } from './chromium.js';

/**
 * Whether the browser tests run. Without Chromium they are skipped with a
 * visible reason — unless `CHIME_REQUIRE_SERVICES=1` (CI), where this throws
 * so the test file fails. Use with `describe.skipIf(!chromiumAvailable())`.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const reason = `${CHROMIUM} is missing (apt-get install chromium)`;
  if (process.env['CHIME_REQUIRE_SERVICES'] === '1')
    throw new Error(`${reason}, and CHIME_REQUIRE_SERVICES=1 requires it`);
  console.warn(
    `SKIPPED: ${reason}; the browser tests are skipped (set CHIME_REQUIRE_SERVICES=1 to fail instead)`,
  );
  return false;
}

/** A page and what it recorded. */
export interface WatchedPage {
  page: Page;
  /** Messages of JavaScript dialogs (alert, confirm, prompt) — each dismissed. */
  dialogs: string[];
  /** Uncaught errors of the page. */
  errors: string[];
  /** Content-Security-Policy violations (directive and what was blocked). */
  cspViolations: string[];
  /** Every URL the page requested. */
  requests: string[];
}

/** A new page (its own sessionStorage) that records dialogs, errors, CSP violations and requests. */
export async function watchedPage(context: BrowserContext): Promise<WatchedPage> {
  const page = await context.newPage();
  // A missing element fails the test within seconds, naming what it waited for.
  page.setDefaultTimeout(10_000);
  const watched: WatchedPage = { page, dialogs: [], errors: [], cspViolations: [], requests: [] };
  page.on('dialog', (dialog) => {
    watched.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => watched.errors.push(error.message));
  page.on('request', (request) => watched.requests.push(request.url()));
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy'))
      watched.cspViolations.push(message.text());
  });
  await page.exposeFunction('__chimeCspViolation', (text: string) =>
    watched.cspViolations.push(text),
  );
  // Runs in the page before its own scripts (a DevTools script: the page's CSP does not apply).
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) =>
      window.__chimeCspViolation(event.violatedDirective + ' ' + event.blockedURI));`,
  });
  return watched;
}

/**
 * Evaluates JavaScript text in the page. The tests are type-checked without
 * the DOM's types (the library's code must not see them), so what runs in
 * the page is written as text.
 */
export function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

/** The id of the element that has the focus. */
export function focusedId(page: Page): Promise<string | undefined> {
  return inPage<string | undefined>(page, 'document.activeElement?.id');
}

/** What {@link useDashboard} gives a test file. */
export interface DashboardSession {
  /** The service under test (set once `beforeAll` ran). */
  readonly svc: TestService;
  /** Opens a path of the dashboard in a new watched page (closed after the test). */
  open(path: string): Promise<WatchedPage>;
}

/**
 * Registers, in the calling `describe`, a service and a browser for its
 * tests: every page a test opens is closed after it, and must have shown no
 * dialog, thrown no error and violated no Content-Security-Policy.
 */
export function useDashboard(
  start: () => Promise<TestService>,
  options: { timezoneId?: string } = {},
): DashboardSession {
  let svc: TestService | undefined;
  let browser: TestBrowser | undefined;
  const pages: WatchedPage[] = [];
  beforeAll(async () => {
    svc = await start();
    browser = await launchBrowser(options);
  });
  afterEach(async () => {
    for (const watched of pages.splice(0)) {
      expect(watched.dialogs, 'dialogs').toEqual([]);
      expect(watched.errors, 'page errors').toEqual([]);
      expect(watched.cspViolations, 'CSP violations').toEqual([]);
      await watched.page.close();
    }
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });
  return {
    get svc() {
      if (!svc) throw new Error('the service has not started');
      return svc;
    },
    async open(path) {
      if (!browser || !svc) throw new Error('the browser has not started');
      const watched = await watchedPage(browser.context);
      pages.push(watched);
      await watched.page.goto(`${svc.url}${path}`);
      return watched;
    },
  };
}
