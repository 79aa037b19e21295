/**
 * In a real browser: every page fits a phone's width (wide tables scroll
 * inside their own box, the page never does), and the dashboard follows the
 * system's light or dark setting.
 */
import { describe, expect, it } from 'vitest';
import { call, startTestService } from '../service/harness.js';
import { chromiumAvailable, inPage, useDashboard } from './browser.js';

const available = chromiumAvailable();
const PAGES = ['/', '/jobs', '/jobs/layout-job', '/new', '/executions'];

/** The luminance (0 to 1) of a computed CSS colour such as `rgb(17, 20, 24)`. */
function luminance(color: string): number {
  const [r = 0, g = 0, b = 0] = (color.match(/\d+(\.\d+)?/g) ?? []).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

describe.skipIf(!available)('the layout', () => {
  const session = useDashboard(async () => {
    const svc = await startTestService();
    await call(svc.url, 'PUT', '/v1/jobs/layout-job', {
      body: {
        schedule: { kind: 'cron', expr: '0 3 * * *', tz: 'Europe/Berlin' },
        metadata: { team: 'a' },
      },
    });
    await call(svc.url, 'POST', '/v1/jobs/layout-job/trigger', { body: {} });
    return svc;
  });

  it.each(PAGES)('%s fits a 360 px wide screen', async (path) => {
    const { page } = await session.open(path);
    await page.setViewportSize({ width: 360, height: 740 });
    await page.locator('main h1').waitFor();
    await page.locator('.live-live').waitFor();
    const [scroll, client] = await inPage<[number, number]>(
      page,
      '[document.documentElement.scrollWidth, document.documentElement.clientWidth]',
    );
    expect(scroll).toBeLessThanOrEqual(client);
  });

  it('follows the system setting: dark when dark is preferred, light otherwise', async () => {
    const { page } = await session.open('/jobs');
    await page.locator('main h1').waitFor();
    const background = () =>
      inPage<string>(page, 'getComputedStyle(document.body).backgroundColor');
    const text = () => inPage<string>(page, 'getComputedStyle(document.body).color');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(luminance(await background())).toBeGreaterThan(0.8);
    expect(luminance(await text())).toBeLessThan(0.3);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(luminance(await background())).toBeLessThan(0.2);
    expect(luminance(await text())).toBeGreaterThan(0.8);
  });
});
