/**
 * In a real browser against a service with a token and a read-only token:
 * the dashboard asks for a token once (kept in sessionStorage, never put in
 * a URL), hides every action from the read-only token, and the service
 * refuses that token's writes.
 */
import { describe, expect, it } from 'vitest';
import { call, startTestService } from '../service/harness.js';
import { chromiumAvailable, inPage, useDashboard, type WatchedPage } from './browser.js';

const TOKEN = 'browser-write-token-0123456789';
const READ_TOKEN = 'browser-read-token-0123456789';
const available = chromiumAvailable();

describe.skipIf(!available)('signing in', () => {
  const session = useDashboard(async () => {
    const svc = await startTestService({ token: TOKEN, 'read-token': READ_TOKEN });
    await call(svc.url, 'PUT', '/v1/jobs/guarded', {
      token: TOKEN,
      body: { schedule: { kind: 'cron', expr: '0 3 * * *' } },
    });
    return svc;
  });

  async function signIn(watched: WatchedPage, token: string): Promise<void> {
    await watched.page.getByLabel('Token').fill(token);
    await watched.page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** No URL the page asked for carries a token. */
  function expectNoTokenInUrls(watched: WatchedPage): void {
    expect(watched.requests.length).toBeGreaterThan(3);
    for (const url of [...watched.requests, watched.page.url()]) {
      expect(url).not.toContain(TOKEN);
      expect(url).not.toContain(READ_TOKEN);
    }
  }

  it('asks for the token, refuses a wrong one, and keeps the right one for the session only', async () => {
    const watched = await session.open('/jobs/guarded');
    const { page } = watched;
    await signIn(watched, 'not-the-token-at-all');
    await page.getByText('That token is wrong.').waitFor();
    await signIn(watched, TOKEN);
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    expect(await inPage(page, "sessionStorage.getItem('chime.token')")).toBe(TOKEN);
    expect(await inPage(page, 'localStorage.length')).toBe(0);
    expect(await inPage(page, 'document.cookie')).toBe('');
    // A reload in the same tab does not ask again; the live feed is authorised too.
    await page.reload();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    await page.locator('.live-live').waitFor();
    expectNoTokenInUrls(watched);
  });

  it('with the read-only token: every action hidden, and a write refused with 403', async () => {
    const watched = await session.open('/');
    const { page } = watched;
    await signIn(watched, READ_TOKEN);
    await page.getByText('read-only', { exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(await page.getByRole('link', { name: 'New job' }).count()).toBe(0);

    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByRole('link', { name: 'guarded' }).click();
    await page.getByRole('heading', { name: 'Statistics' }).waitFor();
    for (const name of ['Pause', 'Resume', 'Trigger now…', 'Delete…'])
      expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    expect(await page.getByRole('link', { name: 'Edit' }).count()).toBe(0);
    await page.goto(`${session.svc.url}/new`);
    await page.getByText('Your token may only read').waitFor();

    // What the page's token may do, asked from the page itself.
    const answer = await inPage<{ status: number; code: string }>(
      page,
      `fetch('/v1/jobs/guarded/pause', { method: 'POST', headers: { authorization: 'Bearer ' + sessionStorage.getItem('chime.token') } })
        .then(async (r) => ({ status: r.status, code: (await r.json()).code }))`,
    );
    expect(answer).toEqual({ status: 403, code: 'CHIME_ERR_FORBIDDEN' });
    const job = await call<{ paused: boolean }>(session.svc.url, 'GET', '/v1/jobs/guarded', {
      token: TOKEN,
    });
    expect(job.json.paused).toBe(false);
    expectNoTokenInUrls(watched);
  });

  it('signs out: the token is forgotten and asked for again', async () => {
    const watched = await session.open('/');
    await signIn(watched, READ_TOKEN);
    await watched.page.getByRole('button', { name: 'Sign out' }).click();
    await watched.page.getByLabel('Token').waitFor();
    expect(await inPage(watched.page, "sessionStorage.getItem('chime.token')")).toBeNull();
  });
});
