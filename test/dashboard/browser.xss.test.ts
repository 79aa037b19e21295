/**
 * In a real browser: markup in job data is shown as its characters and runs
 * nothing — in metadata, payloads, target fields, error messages, the URL,
 * and a refused job id.
 */
import { describe, expect, it } from 'vitest';
import type { Execution } from '../../src/model/execution.js';
import { call, startTestService, waitFor } from '../service/harness.js';
import { chromiumAvailable, inPage, useDashboard, type WatchedPage } from './browser.js';

const XSS = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert(2)</script>';
const available = chromiumAvailable();

describe.skipIf(!available)('markup in job data', () => {
  let failed: Execution;
  const session = useDashboard(async () => {
    const svc = await startTestService();
    svc.service.scheduler.handle('throws', () => {
      throw new Error(`failed on ${XSS} ${SCRIPT}`);
    });
    const put = (id: string, body: unknown) => call(svc.url, 'PUT', `/v1/jobs/${id}`, { body });
    await put('xss-job', {
      schedule: { kind: 'cron', expr: '0 3 * * *' },
      target: { type: 'handler', name: 'throws' },
      retry: { maxAttempts: 1 },
      metadata: { note: XSS, other: SCRIPT },
      payload: { html: XSS, script: SCRIPT },
    });
    // A handler name nobody registered: its error message carries the markup too.
    await put('xss-name', {
      schedule: { kind: 'cron', expr: '0 4 * * *' },
      target: { type: 'handler', name: XSS },
      retry: { maxAttempts: 1 },
    });
    for (const id of ['xss-job', 'xss-name'])
      await call(svc.url, 'POST', `/v1/jobs/${id}/trigger`, { body: {} });
    failed = await waitFor(async () => {
      const page = await call<{ items: Execution[] }>(
        svc.url,
        'GET',
        '/v1/executions?status=failed',
      );
      return page.json.items.length === 2
        ? page.json.items.find((e) => e.jobId === 'xss-job')
        : undefined;
    }, 'both triggers failed');
    return svc;
  });

  /**
   * The text reads as typed, and no element came from it: no <img> (the
   * dashboard shows none), no script. Nothing ran: the fixture fails a test
   * whose page showed a dialog or violated the CSP (which would block an
   * injected handler, and report it).
   */
  async function expectInert(watched: WatchedPage, ...texts: string[]): Promise<void> {
    const { page } = watched;
    await page.locator('.live-live').waitFor();
    for (const text of texts) await page.getByText(text, { exact: false }).first().waitFor();
    const body = await inPage<string>(page, 'document.body.innerText');
    for (const text of texts) expect(body).toContain(text);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('main script').count()).toBe(0);
    expect(watched.dialogs).toEqual([]);
  }

  it('on the jobs list, filtered by markup in the URL', async () => {
    const watched = await session.open(`/jobs?q=${encodeURIComponent(XSS)}`);
    expect(await watched.page.getByLabel('Id contains').inputValue()).toBe(XSS);
    await watched.page.getByText('No jobs match.').waitFor();
    await watched.page.goto(`${session.svc.url}/jobs`);
    await expectInert(watched, 'xss-job', 'xss-name');
  });

  it("on the job's page: metadata, payload, error, definition", async () => {
    const watched = await session.open('/jobs/xss-job');
    await expectInert(watched, XSS, SCRIPT, `failed on ${XSS} ${SCRIPT}`);
    await watched.page.getByRole('button', { name: 'Trigger now…' }).click();
    expect(await watched.page.getByLabel('Payload (JSON)').inputValue()).toContain(XSS);
  });

  it('on the execution page, the executions list and the overview', async () => {
    const execution = await session.open(`/executions/${failed.id}`);
    await expectInert(execution, `failed on ${XSS} ${SCRIPT}`);
    const list = await session.open('/executions?status=failed');
    await expectInert(list, `failed on ${XSS}`, XSS);
    const overview = await session.open('/');
    await expectInert(overview, `failed on ${XSS}`);
  });

  it('in the edit form, and as a refused job id', async () => {
    const edit = await session.open('/jobs/xss-name/edit');
    expect(await edit.page.getByLabel('Name').inputValue()).toBe(XSS);
    await expectInert(edit);
    const create = await session.open('/new');
    await create.page.getByLabel('Id', { exact: true }).fill(XSS);
    await create.page.getByLabel('Cron expression').fill('0 3 * * *');
    await create.page.getByRole('button', { name: 'Create job' }).click();
    await expectInert(create, `job id ${JSON.stringify(XSS)} must match`);
  });
});
