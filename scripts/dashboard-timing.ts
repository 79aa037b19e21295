/**
 * Times each page of the dashboard in the tests' browser (Debian's Chromium):
 * a demo service with 10,000 extra jobs, each page visited once in a fresh
 * browser and five times more, the time to first render read from the
 * page's own mark (`chime:render:<page>`: its data on screen, ms after the
 * navigation started) and its first contentful paint; then the size of
 * every built file, plain and gzipped.
 *
 *   npm run dashboard:timing
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { builtDashboardDir } from '../src/service/dashboard.js';
import { launchBrowser } from '../test/dashboard/chromium.js';
import { startDemo } from './dashboard-demo.js';

const VISITS = 5;

/** When the page's mark fell, and its first contentful paint (ms after navigation). */
async function visit(page: Page, url: string, name: string): Promise<[number, number]> {
  await page.goto(url);
  const read = `[performance.getEntriesByName('chime:render:${name}')[0]?.startTime,
    performance.getEntriesByName('first-contentful-paint')[0]?.startTime]`;
  // The paint entries are reported a moment after the paint: wait for both.
  for (let i = 0; i < 200; i++) {
    const [mark, fcp] = (await page.evaluate(read)) as [number | undefined, number | undefined];
    if (mark !== undefined && fcp !== undefined) return [mark, fcp];
    await page.waitForTimeout(25);
  }
  throw new Error(`${url} never marked chime:render:${name} (or never painted)`);
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const demo = await startDemo({ seconds: 5, extraJobs: 10_000 });
try {
  const { items } = await demo.service.scheduler.listExecutions({ limit: 1 });
  const pages: [string, string][] = [
    ['overview', '/'],
    ['jobs', '/jobs'],
    ['job', '/jobs/sunday-maintenance'],
    ['form', '/new'],
    ['executions', '/executions'],
    ['execution', `/executions/${items[0]?.id ?? ''}`],
  ];
  console.log(
    '| page | path | first visit, fresh browser (ms) | median of 5 more (ms) | first contentful paint, median (ms) |',
  );
  console.log('| --- | --- | --- | --- | --- |');
  for (const [name, path] of pages) {
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      const [cold] = await visit(page, `${demo.service.url}${path}`, name);
      const warm: [number, number][] = [];
      for (let i = 0; i < VISITS; i++)
        warm.push(await visit(page, `${demo.service.url}${path}`, name));
      const fcp = median(warm.map(([, f]) => f));
      console.log(
        `| ${name} | \`${path.replace(/[0-9a-f-]{36}/, '<id>')}\` | ${cold.toFixed(0)} | ${median(warm.map(([m]) => m)).toFixed(0)} | ${fcp.toFixed(0)} |`,
      );
    } finally {
      await browser.close();
    }
  }
} finally {
  await demo.close();
}

const dir = builtDashboardDir();
console.log('\n| file | bytes | gzip bytes |\n| --- | --- | --- |');
for (const file of ['index.html', ...readdirSync(join(dir, 'assets')).map((f) => `assets/${f}`)]) {
  const content = readFileSync(join(dir, file));
  console.log(`| ${file} | ${content.length} | ${gzipSync(content, { level: 9 }).length} |`);
}
