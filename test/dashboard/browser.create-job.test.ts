/**
 * In a real browser: creating a cron job through the form, with its next
 * fires previewed as it is typed, and the API's errors shown at the field
 * their path names.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/model/job.js';
import type { Problem } from '../../src/service/problem.js';
import { call, startTestService } from '../service/harness.js';
import { chromiumAvailable, focusedId, inPage, useDashboard } from './browser.js';

const available = chromiumAvailable();

describe.skipIf(!available)('the create form', () => {
  const session = useDashboard(
    async () => {
      const svc = await startTestService();
      svc.service.scheduler.handle('report', () => 'sent');
      return svc;
    },
    { timezoneId: 'America/New_York' },
  );
  const open = (path: string) => session.open(path);

  /** The local times the service's preview gives for a cron schedule (the scheduler's own code). */
  function expectedLocal(expr: string, tz: string, count: number): string[] {
    return session.svc.service.scheduler
      .nextFireTimes({ kind: 'cron', expr, tz }, { count })
      .map((fire) =>
        fire.local.replace(/^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?/, '$1 $2 '),
      );
  }

  it('creates a cron job: its next fires previewed while typing, then shown on its page', async () => {
    const { page } = await open('/new');
    await page.getByLabel('Id', { exact: true }).fill('nightly-report');
    await page.getByLabel('Cron expression').fill('30 2 * * *');
    await page.getByLabel('Time zone').fill('Europe/Berlin');
    const preview = page.locator('[data-testid=preview] li');
    await expect.poll(() => preview.count()).toBe(5);
    const shown = await preview.locator('.mono').allTextContents();
    const expected = expectedLocal('30 2 * * *', 'Europe/Berlin', 5);
    expect(shown.map((text) => text.trim())).toEqual(
      expected.map((text) => text.replace(/ $/, '').trim()),
    );
    expect(await preview.first().textContent()).toContain('(Europe/Berlin)');
    expect(await preview.first().textContent()).toContain(':30:00 UTC');

    await page.getByLabel('Name').fill('report');
    await page.getByRole('button', { name: 'Add a label' }).click();
    await page.getByLabel('Key 1').fill('team');
    await page.getByLabel('Value 1').fill('ops');
    await page.getByText('Policies: retry').click();
    await page.getByLabel('Max attempts').fill('5');
    await page.getByLabel('Misfire', { exact: true }).selectOption('skip');
    await page.getByRole('button', { name: 'Create job' }).click();

    await page.waitForURL(`${session.svc.url}/jobs/nightly-report`);
    await expect.poll(() => page.locator('.fire-list li').count()).toBe(10);
    const fires = await page.locator('.fire-list li .mono').allTextContents();
    expect(fires.map((t) => t.trim())).toEqual(
      expectedLocal('30 2 * * *', 'Europe/Berlin', 10).map((t) => t.trim()),
    );
    const job = (await call<Job>(session.svc.url, 'GET', '/v1/jobs/nightly-report')).json;
    expect(job).toMatchObject({
      schedule: { kind: 'cron', expr: '30 2 * * *', tz: 'Europe/Berlin' },
      target: { type: 'handler', name: 'report' },
      metadata: { team: 'ops' },
      retry: { maxAttempts: 5 },
      misfire: 'skip',
      paused: false,
    });
    expect(await page.locator('h1').textContent()).toBe('nightly-report');
  });

  it.each([
    {
      what: 'a cron expression that never fires',
      fill: { 'Cron expression': '0 0 31 2 *' },
      path: '/schedule/expr',
      body: { schedule: { kind: 'cron', expr: '0 0 31 2 *' }, target: { type: 'handler' } },
    },
    {
      what: 'an unknown time zone',
      fill: { 'Cron expression': '0 3 * * *', 'Time zone': 'Mars/Olympus_Mons' },
      path: '/schedule/tz',
      body: {
        schedule: { kind: 'cron', expr: '0 3 * * *', tz: 'Mars/Olympus_Mons' },
        target: { type: 'handler' },
      },
    },
  ])('shows the API error of $what at its field', async ({ fill, path, body }) => {
    const { page } = await open('/new');
    for (const [label, value] of Object.entries(fill)) await page.getByLabel(label).fill(value);
    await page.getByRole('button', { name: 'Create job' }).click();
    const expected = (await call<Problem>(session.svc.url, 'POST', '/v1/jobs', { body })).json;
    expect(expected.path).toBe(path);
    const field = page.locator(`[aria-invalid=true]`);
    await expect.poll(() => field.count()).toBe(1);
    const id = await field.getAttribute('id');
    expect(await page.locator(`#${id}-error`).textContent()).toContain(expected.detail);
    // The error is named by the field: a screen reader reads it with the field.
    expect(await field.getAttribute('aria-describedby')).toContain(`${id}-error`);
    expect(await page.locator('[role=alert]').textContent()).toContain(expected.code);
    expect(await focusedId(page)).toBe(id);
  });

  it("shows a target field's error at that field (the fields come from the job schema)", async () => {
    const { page } = await open('/new');
    await page.getByLabel('Cron expression').fill('0 3 * * *');
    await page.getByRole('group', { name: 'Target' }).getByLabel('Type').selectOption('http');
    await page.getByLabel('Url').fill('ftp://example.com/x');
    await page.getByRole('button', { name: 'Create job' }).click();
    const url = page.getByLabel('Url');
    await expect.poll(() => url.getAttribute('aria-invalid')).toBe('true');
    const id = await url.getAttribute('id');
    const expected = await call<Problem>(session.svc.url, 'POST', '/v1/jobs', {
      body: {
        schedule: { kind: 'cron', expr: '0 3 * * *' },
        target: { type: 'http', url: 'ftp://example.com/x' },
      },
    });
    expect(expected.json.path).toBe('/target/url');
    expect(await page.locator(`#${id}-error`).textContent()).toContain(expected.json.detail);
    // Nothing was created.
    expect((await call(session.svc.url, 'GET', '/v1/jobs?targetType=http')).json).toEqual({
      items: [],
      nextCursor: null,
    });
  });

  it('checks raw JSON against the job schema as it is typed', async () => {
    const { page } = await open('/new');
    await page.getByRole('button', { name: 'Raw JSON' }).click();
    const editor = page.getByLabel('Job definition (JSON)');
    await editor.fill(
      '{"schedule": {"kind": "cron", "expr": "0 3 * * *"}, "retry": {"maxAttempts": "many"}}',
    );
    const errors = page.locator('#raw-json-errors li');
    await expect
      .poll(() => errors.allTextContents())
      .toEqual([expect.stringContaining('/retry/maxAttempts')]);
    await editor.fill('{"schedule": ');
    await expect
      .poll(() => errors.allTextContents())
      .toEqual([expect.stringContaining('not JSON')]);
    await editor.fill('{"id": "raw-one", "schedule": {"kind": "interval", "every": "1h"}}');
    await expect.poll(() => errors.count()).toBe(0);
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.waitForURL(`${session.svc.url}/jobs/raw-one`);
  });

  it('labels every control, and can be used from the keyboard', async () => {
    const { page } = await open('/new');
    await page.getByText('Policies: retry').click();
    await page.getByText('On failure: a target').click();
    const unlabelled = await inPage<string[]>(
      page,
      `[...document.querySelectorAll('input, select, textarea, button')]
        .filter((el) => el.type !== 'hidden' && !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim()))
        .map((el) => el.outerHTML)`,
    );
    expect(unlabelled).toEqual([]);
    // Tab from the top of a fresh page: the skip link, then past the navigation into the form.
    await page.reload();
    await page.getByLabel('Cron expression').waitFor();
    await page.keyboard.press('Tab');
    expect(await inPage(page, 'document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await focusedId(page)).toBe('field-2f-id');
  });
});
