/**
 * In a real browser, with 10,000 jobs: the first page of the jobs list is
 * on screen within a second of the navigation, pages follow by cursor, and
 * the filters read from the URL.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { JobDefinition } from '../../src/index.js';
import { startTestService } from '../service/harness.js';
import { chromiumAvailable, inPage, useDashboard } from './browser.js';

const JOBS = 10_000;
const available = chromiumAvailable();

/** Job `i`: a daily cron in one of a few zones, an interval or a one-shot; labelled by team. */
function definition(i: number): JobDefinition {
  const id = `job-${String(i).padStart(5, '0')}`;
  const metadata = { team: `team-${i % 7}` };
  // Nothing fires while the test runs: it measures the list, not a burst of 3,000 fires.
  const startAt = new Date(Date.now() + 3_600_000 + i * 1000).toISOString();
  if (i % 3 === 0)
    return { id, schedule: { kind: 'interval', every: `${(i % 50) + 10}m`, startAt }, metadata };
  if (i % 3 === 1)
    return {
      id,
      schedule: {
        kind: 'cron',
        expr: `${i % 60} ${i % 24} * * *`,
        tz: i % 2 ? 'Europe/Berlin' : 'Asia/Tokyo',
        startAt,
      },
      metadata,
      paused: i % 10 === 1,
    };
  return {
    id,
    schedule: { kind: 'once', at: new Date(Date.now() + 86_400_000 + i * 1000).toISOString() },
    metadata,
  };
}

describe.skipIf(!available)(`the jobs list with ${JOBS.toLocaleString('en')} jobs`, () => {
  const session = useDashboard(async () => {
    const svc = await startTestService();
    for (let start = 0; start < JOBS; start += 1000) {
      const batch = Array.from({ length: 1000 }, (_, k) => definition(start + k));
      await svc.service.scheduler.ensureJobs(batch);
    }
    return svc;
  });

  /** When the page first showed its data, ms after its navigation started (the app's own mark). */
  async function renderedAt(page: Page, name: string): Promise<number> {
    // (Not waitForFunction: it evaluates text with eval, which the page's CSP refuses.)
    const mark = `performance.getEntriesByName('chime:render:${name}')[0]?.startTime`;
    await expect.poll(() => inPage<number | undefined>(page, mark)).toBeGreaterThan(0);
    return (await inPage<number | undefined>(page, mark)) ?? Infinity;
  }

  it('renders the first page within a second, then pages by cursor', async () => {
    // The first visit of a browser that has seen nothing yet (its processes starting cold),
    // then five more navigations in that tab, each a full page load. The median is judged
    // (this machine's two cores are shared: one neighbour's burst must not decide).
    const { page: first } = await session.open('/jobs');
    const cold = await renderedAt(first, 'jobs');
    const times: number[] = [];
    for (let visit = 0; visit < 5; visit++) {
      await first.goto(`${session.svc.url}/jobs`);
      times.push(await renderedAt(first, 'jobs'));
      const rows = first.locator('table.jobs tbody tr');
      expect(await rows.count()).toBe(50);
      expect(await rows.first().locator('th a').textContent()).toBe('job-00000');
    }
    const median = [...times].sort((a, b) => a - b)[2] ?? Infinity;
    console.log(
      `jobs list, first page of ${JOBS} jobs on screen after (ms): first visit ${cold.toFixed(0)}; ` +
        `then ${times.map((t) => t.toFixed(0)).join(', ')}, median ${median.toFixed(0)}`,
    );
    expect(median).toBeLessThan(1000);

    const { page } = await session.open('/jobs');
    const rows = page.locator('table.jobs tbody tr');
    await renderedAt(page, 'jobs');
    await page.getByRole('button', { name: 'Next →' }).click();
    await expect.poll(() => rows.first().locator('th a').textContent()).toBe('job-00050');
    expect(page.url()).toMatch(/[?&]cursor=/);
    expect(await rows.count()).toBe(50);
    await page.getByRole('button', { name: '← Previous' }).click();
    await expect.poll(() => rows.first().locator('th a').textContent()).toBe('job-00000');
  });

  it('reads its filters from the URL, so a view can be shared', async () => {
    const { page } = await session.open('/jobs?metadata.team=team-3&paused=false&q=00&limit=25');
    await renderedAt(page, 'jobs');
    const ids = await page.locator('table.jobs tbody th a').allTextContents();
    expect(ids.length).toBeGreaterThan(0);
    const expected = Array.from({ length: JOBS }, (_, i) => definition(i))
      .filter((d) => d.metadata?.['team'] === 'team-3' && d.paused !== true && d.id?.includes('00'))
      .map((d) => d.id)
      .slice(0, 25);
    expect(ids).toEqual(expected);
    expect(await page.getByLabel('Metadata (key=value …)').inputValue()).toBe('team=team-3');
    expect(await page.getByLabel('State').inputValue()).toBe('false');
  });
});
