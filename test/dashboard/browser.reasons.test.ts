/**
 * In a real browser: the execution list and an execution's page say why a
 * fire did not run (issue 19) — here the fires of a pause, recorded when the
 * job resumed — as information, not as an error.
 */
import { describe, expect, it } from 'vitest';
import type { Execution } from '../../src/model/execution.js';
import type { Page } from '../../src/scheduler/scheduler.js';
import { call, startTestService, waitFor } from '../service/harness.js';
import { chromiumAvailable, useDashboard } from './browser.js';

const available = chromiumAvailable();

describe.skipIf(!available)('the reason of a fire that did not run', () => {
  const session = useDashboard(() => startTestService());
  const api = <T>(method: string, path: string, body?: unknown) =>
    call<T>(session.svc.url, method, path, body === undefined ? {} : { body });

  it('shows in the execution list and on the execution page', async () => {
    await api('PUT', '/v1/jobs/reasons-ui', {
      schedule: { kind: 'interval', every: '200ms' },
      paused: true,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await api('POST', '/v1/jobs/reasons-ui/resume');
    const skipped = await waitFor(async () => {
      const { json } = await api<Page<Execution>>(
        'GET',
        '/v1/executions?jobId=reasons-ui&status=skipped',
      );
      return json.items.length > 0 ? json.items : undefined;
    }, 'the pause record');

    const { page } = await session.open('/executions?jobId=reasons-ui&status=skipped');
    const row = page.locator(`tr[data-execution="${skipped[0]?.id ?? ''}"]`);
    const reason = row.locator('td.reason');
    await expect.poll(() => reason.textContent()).toMatch(/^its job was paused \(since .*Z\)$/);
    expect(await reason.getAttribute('title')).toBe('paused');
    expect(await row.locator('td.error-text').count()).toBe(0);

    await row.locator('a').first().click();
    const facts = page.locator('dl.pairs');
    await expect.poll(() => facts.textContent()).toMatch(/Reason\s*its job was paused.*paused/);
  });
});
