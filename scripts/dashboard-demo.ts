/**
 * A `chime serve` with a small, lived-in set of jobs, for the dashboard's
 * screenshots and timings: schedules in several zones (one whose next fires
 * cross a DST change), handlers that succeed, fail and take their time, an
 * HTTP target with a secret, a paused job, and some history.
 */
import { createServer } from 'node:http';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import type { JobDefinition } from '../src/index.js';
import { startService, type RunningService } from '../src/service/serve.js';
import { tempDir } from '../test/helpers/files.js';

/** A running demo service; `close()` stops it and removes its files. */
export interface Demo {
  service: RunningService;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The demo's jobs (`receiver` is where the HTTP job posts). */
function jobs(receiver: string): JobDefinition[] {
  const soon = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
  return [
    {
      id: 'nightly-report',
      schedule: { kind: 'cron', expr: '30 2 * * *', tz: 'Europe/Berlin' },
      target: { type: 'handler', name: 'report' },
      metadata: { team: 'finance' },
      retry: { maxAttempts: 5 },
    },
    {
      id: 'sunday-maintenance',
      schedule: { kind: 'cron', expr: '30 2 * 3,10 0', tz: 'Europe/Berlin' },
      target: { type: 'handler', name: 'maintenance' },
      metadata: { team: 'platform' },
      overlap: 'forbid',
    },
    {
      id: 'invoice-run',
      schedule: { kind: 'cron', expr: '0 9 * * 1-5', tz: 'America/New_York' },
      target: { type: 'handler', name: 'report' },
      metadata: { team: 'finance' },
    },
    {
      id: 'cache-warm',
      schedule: { kind: 'interval', every: '15s' },
      target: { type: 'handler', name: 'report' },
      metadata: { team: 'web' },
    },
    {
      id: 'sync-inventory',
      schedule: { kind: 'interval', every: '8s' },
      target: { type: 'handler', name: 'sync' },
      metadata: { team: 'shop' },
      retry: { maxAttempts: 1 },
    },
    {
      id: 'order-webhook',
      schedule: { kind: 'cron', expr: '*/15 * * * *' },
      target: {
        type: 'http',
        url: `${receiver}/orders/flush`,
        auth: { type: 'bearer', token: 'demo-secret-token' },
        timeout: '10s',
      },
      metadata: { team: 'shop' },
    },
    {
      id: 'reminder-42',
      schedule: { kind: 'once', at: soon(180) },
      payload: { user: 42, text: 'Renew the certificate' },
      target: { type: 'handler', name: 'report' },
      metadata: { team: 'web' },
    },
    {
      id: 'legacy-export',
      schedule: { kind: 'cron', expr: '0 4 * * *', tz: 'Asia/Tokyo' },
      target: { type: 'handler', name: 'report' },
      metadata: { team: 'data' },
      paused: true,
    },
  ];
}

/** Starts the demo service on 127.0.0.1 and gives it `seconds` of history. */
export async function startDemo(
  options: { seconds?: number; extraJobs?: number } = {},
): Promise<Demo> {
  const { dir, cleanup } = tempDir('chime-demo-');
  const receiver = createServer((_req, res) => res.writeHead(200).end('{"ok":true}'));
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  const receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const config = loadConfig({
    flags: { port: '0', 'database-url': join(dir, 'chime.db'), 'log-level': 'silent' },
    env: {},
  });
  const service = await startService(config);
  const { scheduler } = service;
  let syncs = 0;
  scheduler.handle('report', async () => {
    await sleep(30 + Math.random() * 250);
    return { rows: Math.floor(Math.random() * 1000) };
  });
  scheduler.handle('maintenance', async () => {
    await sleep(1500);
    return { vacuumed: true };
  });
  scheduler.handle('sync', async () => {
    if (++syncs % 3 === 0) throw new Error('inventory API answered 503 Service Unavailable');
    await sleep(120);
  });
  await scheduler.ensureJobs(jobs(receiverUrl));
  for (let start = 0; start < (options.extraJobs ?? 0); start += 1000) {
    const count = Math.min(1000, (options.extraJobs ?? 0) - start);
    await scheduler.ensureJobs(
      Array.from({ length: count }, (_, k) => ({
        id: `bulk-${String(start + k).padStart(5, '0')}`,
        schedule: { kind: 'cron', expr: `${(start + k) % 60} ${(start + k) % 24} * * *` },
        metadata: { team: 'bulk' },
      })),
    );
  }
  for (const id of ['sunday-maintenance', 'nightly-report', 'sunday-maintenance', 'invoice-run'])
    await scheduler.triggerJob(id);
  await scheduler.triggerJob('nightly-report', { payload: { rerun: true } });
  await sleep((options.seconds ?? 20) * 1000);
  return {
    service,
    close: async () => {
      await service.close();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
      cleanup();
    },
  };
}
