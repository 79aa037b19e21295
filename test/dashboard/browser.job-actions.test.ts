/**
 * In a real browser, on a job's page: trigger it with a payload and watch
 * the execution appear, run and finish without a reload; pause and resume
 * it; see a change made elsewhere arrive live.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/model/job.js';
import { call, startTestService } from '../service/harness.js';
import { chromiumAvailable, inPage, useDashboard } from './browser.js';

const available = chromiumAvailable();

/** A handler that holds each run until the test lets it go. */
function gate() {
  const payloads: unknown[] = [];
  let release: () => void = () => undefined;
  let held = new Promise<void>((resolve) => (release = resolve));
  return {
    payloads,
    handler: async (ctx: { payload: unknown }) => {
      payloads.push(ctx.payload);
      await held;
      return { done: true };
    },
    open() {
      release();
      held = new Promise<void>((resolve) => (release = resolve));
    },
  };
}

describe.skipIf(!available)("a job's page", () => {
  const hold = gate();
  const session = useDashboard(async () => {
    const svc = await startTestService();
    svc.service.scheduler.handle('hold', hold.handler);
    return svc;
  });
  const api = <T>(method: string, path: string, body?: unknown) =>
    call<T>(session.svc.url, method, path, body === undefined ? {} : { body });

  it('triggers the job with a payload: the execution appears, runs and finishes without a reload', async () => {
    await api('PUT', '/v1/jobs/live-1', {
      schedule: { kind: 'cron', expr: '0 3 * * *' },
      target: { type: 'handler', name: 'hold' },
      payload: { n: 1 },
    });
    const { page } = await session.open('/jobs/live-1');
    await page.getByText('No executions yet.').waitFor();
    // Set in this document: still there after the updates, so nothing reloaded the page.
    await inPage(page, 'window.__sameDocument = true');

    await page.getByRole('button', { name: 'Trigger now…' }).click();
    const editor = page.getByLabel('Payload (JSON)');
    expect(JSON.parse(await editor.inputValue())).toEqual({ n: 1 });
    await editor.fill('{"n": 42, "note": "by hand"}');
    await page.getByRole('button', { name: 'Run now' }).click();

    const row = page.locator('table.executions tbody tr');
    await expect.poll(() => row.count()).toBe(1);
    await expect.poll(() => hold.payloads).toEqual([{ n: 42, note: 'by hand' }]);
    // Held past a second: the store marks it running, and the page shows it.
    await expect
      .poll(() => row.locator('.status').textContent(), { timeout: 10_000 })
      .toBe('running');
    hold.open();
    await expect
      .poll(() => row.locator('.status').textContent(), { timeout: 10_000 })
      .toBe('succeeded');
    expect(await row.locator('td').nth(2).textContent()).toBe('manual');
    expect(await page.getByRole('status').filter({ hasText: 'Triggered' }).textContent()).toMatch(
      /Triggered: execution [0-9a-f-]{36}/,
    );
    // The statistics followed the finished run.
    await expect.poll(() => page.locator('dl.pairs').textContent()).toContain('1 succeeded');
    expect(await inPage(page, 'window.__sameDocument')).toBe(true);
    expect(await inPage(page, "performance.getEntriesByType('navigation').length")).toBe(1);
  });

  it('pauses and resumes the job', async () => {
    await api('PUT', '/v1/jobs/live-2', { schedule: { kind: 'cron', expr: '*/5 * * * *' } });
    const { page } = await session.open('/jobs/live-2');
    await page.locator('.fire-list li').first().waitFor();

    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    await page.getByText('Paused: no fires until resumed.').waitFor();
    expect(await page.locator('.summary .badge-paused').textContent()).toBe('paused');
    expect((await api<Job>('GET', '/v1/jobs/live-2')).json).toMatchObject({
      paused: true,
      nextFireAt: null,
    });

    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    await expect.poll(() => page.locator('.fire-list li').count()).toBe(10);
    const job = (await api<Job>('GET', '/v1/jobs/live-2')).json;
    expect(job.paused).toBe(false);
    expect(job.nextFireAt).not.toBeNull();
  });

  it('shows a change made elsewhere as it happens, and a deletion', async () => {
    await api('PUT', '/v1/jobs/live-3', { schedule: { kind: 'cron', expr: '0 4 * * *' } });
    const { page } = await session.open('/jobs/live-3');
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    await page.locator('.live-live').waitFor();
    await inPage(page, 'window.__sameDocument = true');

    await api('POST', '/v1/jobs/live-3/pause');
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    await api('PUT', '/v1/jobs/live-3', { schedule: { kind: 'cron', expr: '15 4 * * *' } });
    await expect.poll(() => page.locator('.summary code').first().textContent()).toBe('15 4 * * *');
    await api('DELETE', '/v1/jobs/live-3');
    await page.getByText('This job does not exist (any more).').waitFor();
    expect(await inPage(page, 'window.__sameDocument')).toBe(true);
  });

  it('deletes the job after a confirmation', async () => {
    await api('PUT', '/v1/jobs/live-4', { schedule: { kind: 'cron', expr: '0 5 * * *' } });
    const { page } = await session.open('/jobs/live-4');
    await page.getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete live-4?' });
    // Focus starts on the safe choice (moved there once the dialog has opened).
    await dialog.waitFor();
    await expect.poll(() => inPage(page, 'document.activeElement?.textContent')).toBe('Keep it');
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    expect((await api('GET', '/v1/jobs/live-4')).status).toBe(200);
    await page.getByRole('button', { name: 'Delete…' }).click();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.waitForURL(`${session.svc.url}/jobs`);
    expect((await api('GET', '/v1/jobs/live-4')).status).toBe(404);
  });
});
