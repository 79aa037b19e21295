/**
 * Takes the README's screenshots of the dashboard with the tests' browser
 * (Debian's Chromium through playwright-core): the overview and a job's page
 * of a demo service, written to docs/dashboard-overview.png and
 * docs/dashboard-job.png.
 *
 *   npm run screenshots
 */
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../test/dashboard/chromium.js';
import { startDemo } from './dashboard-demo.js';

const docs = (name: string) => fileURLToPath(new URL(`../docs/${name}`, import.meta.url));

const demo = await startDemo({ seconds: 25 });
const browser = await launchBrowser({ timezoneId: 'Europe/Berlin' });
try {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 1000 });
  await page.goto(`${demo.service.url}/`);
  await page.locator('.live-live').waitFor();
  await page.locator('.lane').first().waitFor();
  await page.getByText('Fire lag p50').waitFor();
  await page.waitForTimeout(500);
  await page.screenshot({ path: docs('dashboard-overview.png'), fullPage: true });

  await page.goto(`${demo.service.url}/jobs/sunday-maintenance`);
  await page.locator('.fire-list li').nth(9).waitFor();
  await page.locator('table.executions tbody tr').nth(1).waitFor();
  await page.waitForTimeout(500);
  await page.screenshot({ path: docs('dashboard-job.png'), fullPage: true });
  console.log('wrote docs/dashboard-overview.png and docs/dashboard-job.png');
} finally {
  await browser.close();
  await demo.close();
}
