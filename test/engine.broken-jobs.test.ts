/**
 * Jobs whose stored schedule cannot be computed (regression of the review of
 * commit 4d81d5b): a zone unknown to this runtime's ICU, a definition written
 * by another chime version. Such a job used to be skipped silently every
 * cycle, staying at the head of the due jobs forever: a full planning batch of
 * them starved every healthy job, with the engine cycling in vain. Now each is
 * reported as an `error` event naming it and parked for a minute.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { every, memoryStore, type Scheduler } from '../src/index.js';
import { newJobRecord } from '../src/scheduler/job-records.js';
import { PLAN_BATCH } from '../src/engine/planner.js';
import { collect } from './helpers/events.js';
import { countingStore } from './helpers/counting-store.js';
import { testScheduler } from './helpers/scheduler.js';
import { insertJob } from './helpers/jobs.js';

const BROKEN = PLAN_BATCH; // a whole planning batch of them

describe('jobs whose schedule cannot be computed', () => {
  let scheduler: Scheduler | undefined;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  it('do not starve healthy jobs, are reported as error events naming them, and cause no busy loop', async () => {
    const inner = memoryStore();
    const { store, calls } = countingStore(inner);
    const t = testScheduler({ store });
    scheduler = t.scheduler;
    const { clock } = t;
    const t0 = clock.now();
    await inner.open();
    for (let i = 0; i < BROKEN; i++) {
      const record = newJobRecord(
        `broken-${i}`,
        { schedule: { kind: 'cron', expr: '* * * * *' }, target: { type: 'handler', name: 'h' } },
        t0 - 1_000,
      );
      // As if written where this zone existed: due now, but its fires cannot be computed here.
      record.definition.schedule = { kind: 'cron', expr: '* * * * *', tz: 'Mars/Olympus_Mons' };
      record.nextFireAt = t0 - 1_000;
      await insertJob(inner, record);
    }
    const errors = collect(scheduler, 'error');
    let healthyRuns = 0;
    scheduler.handle('h', (ctx) => {
      if (ctx.job.id === 'healthy') healthyRuns++;
    });
    await scheduler.start();
    await scheduler.ensureJob({
      id: 'healthy',
      schedule: every('1s'),
      target: { type: 'handler', name: 'h' },
    });
    const callsBefore = total(calls);
    await clock.advance(60_000);
    const storeCalls = total(calls) - callsBefore;

    // The healthy job fires every second, as if the broken ones were not there.
    expect(healthyRuns).toBeGreaterThanOrEqual(59);
    // Every broken job is reported by name; none is reported every cycle.
    const named = errors.map((e) => /planning job (broken-\d+)/.exec(e.during)?.[1]);
    expect(named.every((id) => id !== undefined)).toBe(true);
    const perJob = new Map<string, number>();
    for (const id of named) if (id) perJob.set(id, (perJob.get(id) ?? 0) + 1);
    expect(perJob.size).toBe(BROKEN);
    expect(Math.max(...perJob.values())).toBeLessThanOrEqual(2); // parked a minute between tries
    expect(errors[0]?.error.message).toMatch(/Mars\/Olympus_Mons/);
    // No busy loop: about one planning query per second of the healthy job.
    expect(calls.get('jobsDue') ?? 0).toBeLessThanOrEqual(90);
    expect(storeCalls).toBeLessThanOrEqual(600);
    // The broken jobs are still there, parked, not dropped.
    const parked = await scheduler.getJob('broken-0');
    expect(parked?.nextFireAt).not.toBeNull();
  });
});

function total(calls: Map<string, number>): number {
  return [...calls.values()].reduce((a, b) => a + b, 0);
}
