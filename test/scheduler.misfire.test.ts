import { describe, expect, it } from 'vitest';
import {
  cron,
  createScheduler,
  memoryStore,
  TestClock,
  type JobDefinition,
  type MisfirePolicy,
} from '../src/index.js';
import { collect, waitFor } from './helpers/events.js';
import { silent } from './helpers/scheduler.js';

const START = Date.parse('2026-03-02T10:00:00Z');
const MINUTE = 60_000;

/**
 * Runs a per-minute job, stops the only instance for `downMinutes`, starts a
 * new one on the same store, and returns what the ledger says about the
 * fires that fell during the downtime.
 */
async function afterDowntime(misfire: MisfirePolicy, extra: Partial<JobDefinition> = {}) {
  const store = memoryStore();
  const clock = new TestClock(START);
  const job: JobDefinition = {
    id: 'minutely',
    schedule: cron('* * * * *'),
    misfire,
    misfireGrace: '10s',
    ...extra,
  };
  const first = createScheduler({ store, clock, logger: silent });
  first.setHandler(() => undefined);
  await first.start();
  await first.ensureJob(job);
  const firstFire = waitFor(first, 'execution:succeeded');
  await clock.advance(30_000);
  await firstFire; // the 10:00 fire
  await first.stop();

  await clock.advance(11 * MINUTE); // down from 10:00:30 to 10:11:30: fires 10:01 … 10:11 are late
  const second = createScheduler({ store, clock, logger: silent });
  const ran: number[] = [];
  second.setHandler((ctx) => void ran.push(ctx.fireAt.getTime()));
  const missedEvents = collect(second, 'fire:missed');
  await second.start();
  await clock.advance(100);
  await clock.advance(20_000); // up to 10:11:50.1, before the 10:12 fire enters the horizon
  const executions = (await second.listExecutions({ jobId: 'minutely', limit: 1000 })).items;
  const job2 = await second.getJob('minutely');
  await second.stop();
  const at = (iso: string) => Date.parse(iso) - START;
  return {
    ran: ran.map((t) => (t - START) / MINUTE),
    missed: executions
      .filter((e) => e.status === 'missed')
      .map((e) => at(e.fireAt) / MINUTE)
      .sort((a, b) => a - b),
    missedEvents: missedEvents.length,
    nextFireAt: job2?.nextFireAt,
  };
}

describe('misfire policies after a downtime', () => {
  it('fire_once runs the newest missed fire once and records the rest as missed', async () => {
    const r = await afterDowntime('fire_once');
    expect(r.ran).toEqual([11]);
    expect(r.missed).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(r.missedEvents).toBe(10);
    expect(r.nextFireAt).toBe('2026-03-02T10:12:00.000Z');
  });

  it('catch_up runs the newest maxCatchUp missed fires oldest first and records the older ones as missed', async () => {
    const r = await afterDowntime('catch_up', { maxCatchUp: 4 });
    expect(r.ran).toEqual([8, 9, 10, 11]);
    expect(r.missed).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('catch_up with a large enough maxCatchUp runs every missed fire', async () => {
    const r = await afterDowntime('catch_up', { maxCatchUp: 100 });
    expect(r.ran).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(r.missed).toEqual([]);
  });

  it('skip records every missed fire and waits for the next future one', async () => {
    const r = await afterDowntime('skip');
    expect(r.ran).toEqual([]);
    expect(r.missed).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(r.nextFireAt).toBe('2026-03-02T10:12:00.000Z');
  });

  it('a fire within the misfire grace is not missed: it runs late', async () => {
    const r = await afterDowntime('skip', { misfireGrace: '15m' });
    expect(r.ran).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(r.missed).toEqual([]);
  });
});
