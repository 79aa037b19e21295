/**
 * In a real browser, the overview: the live instances, the next fire with
 * its countdown, what runs now, and a failure arriving without a reload.
 */
import { describe, expect, it } from 'vitest';
import { call, startTestService } from '../service/harness.js';
import { chromiumAvailable, inPage, useDashboard } from './browser.js';

const available = chromiumAvailable();

/** A daily cron expression (UTC) whose next fire is about `hours` from now, whatever the time of day. */
function dailyIn(hours: number): string {
  const at = new Date(Date.now() + hours * 3_600_000);
  return `${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
}

describe.skipIf(!available)('the overview', () => {
  let release: () => void = () => undefined;
  const session = useDashboard(async () => {
    const svc = await startTestService();
    svc.service.scheduler.handle('hold', () => new Promise<void>((resolve) => (release = resolve)));
    svc.service.scheduler.handle('fail', () => {
      throw new Error('the report server is down');
    });
    const put = (id: string, body: unknown) => call(svc.url, 'PUT', `/v1/jobs/${id}`, { body });
    await put('soon', {
      schedule: { kind: 'once', at: new Date(Date.now() + 3_600_000).toISOString() },
    });
    await put('daily', { schedule: { kind: 'cron', expr: dailyIn(2) } });
    await put('held', {
      schedule: { kind: 'cron', expr: dailyIn(3) },
      target: { type: 'handler', name: 'hold' },
    });
    await put('failing', {
      schedule: { kind: 'cron', expr: dailyIn(4) },
      target: { type: 'handler', name: 'fail' },
      retry: { maxAttempts: 1 },
    });
    return svc;
  });

  it('shows the live instance, the next fire and the day ahead', async () => {
    const { page } = await session.open('/');
    const instances = page.getByRole('region', { name: 'Instances' });
    await instances.getByText(session.svc.service.scheduler.instanceId).waitFor();
    const countdown = page.locator('.countdown');
    await expect.poll(() => countdown.textContent()).toMatch(/^Next fire in 59 min \d+ s: soon/);
    const lanes = await page.locator('.lane-label a').allTextContents();
    expect(lanes.slice(0, 2)).toEqual(['soon', 'daily']);
    expect(lanes).toEqual(expect.arrayContaining(['held', 'failing']));
  });

  it('shows what runs now and a failure as they happen, without a reload', async () => {
    const { page } = await session.open('/');
    await page.locator('.live-live').waitFor();
    await page.getByText('No failures.').waitFor();
    await inPage(page, 'window.__sameDocument = true');

    await call(session.svc.url, 'POST', '/v1/jobs/held/trigger', { body: {} });
    const running = page.getByRole('region', { name: 'Running now' });
    // Marked running once its attempt outlives about a second.
    await running.getByRole('link', { name: 'held' }).waitFor({ timeout: 10_000 });
    release();
    await running.getByText('Nothing is running.').waitFor({ timeout: 10_000 });

    await call(session.svc.url, 'POST', '/v1/jobs/failing/trigger', { body: {} });
    const failures = page.getByRole('region', { name: 'Failures, last 24 hours' });
    await failures.getByText('the report server is down').waitFor();
    expect(await failures.getByRole('link', { name: '1 failed' }).count()).toBe(1);
    expect(await inPage(page, 'window.__sameDocument')).toBe(true);
  });
});
