import { afterEach, describe, expect, it } from 'vitest';
import { every, memoryStore, type Scheduler } from '../src/index.js';
import { countingStore } from './helpers/counting-store.js';
import { testScheduler } from './helpers/scheduler.js';

describe('a wall-clock step forward', () => {
  let scheduler: Scheduler;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  it('neither busy-loops nor fires any (job, fireAt) twice; the misfire policy decides the gap', async () => {
    const counting = countingStore(memoryStore());
    // Planned seven eighths of a horizon ahead: +3s is planned at +1.78s, before the jump.
    const t = testScheduler({ store: counting.store, horizonMs: 1_400 });
    scheduler = t.scheduler;
    const ran: number[] = [];
    scheduler.setHandler((ctx) => void ran.push(ctx.fireAt.getTime()));
    await scheduler.start();
    const anchor = t.clock.now() + 100;
    await scheduler.ensureJob({
      id: 'sec',
      schedule: every('1s', { startAt: new Date(anchor) }),
      misfireGrace: '5s',
    });
    await t.clock.advance(2_150); // fires at +0, +1s, +2s
    expect(ran.map((r) => r - anchor)).toEqual([0, 1_000, 2_000]);

    t.clock.jump(3_600_000); // the wall clock steps forward an hour
    counting.calls.clear();
    await t.clock.advance(5_000);
    // about one cycle per second of the job's rhythm, never a loop
    expect(counting.calls.get('jobsDue') ?? 0).toBeLessThanOrEqual(12);
    expect(counting.calls.get('nextDueAt') ?? 0).toBeLessThanOrEqual(25);

    expect(new Set(ran).size).toBe(ran.length);
    const afterJump = ran.filter((r) => r > anchor + 2_000).map((r) => (r - anchor) / 1000);
    // +3s entered the horizon before the jump and was planned, but starts an hour late with
    // later fires due: under fire_once it is missed at its start. The gap's fires older than
    // the 5 s grace are missed; those within it, and the ones after, run once each.
    expect(afterJump).toEqual([3598, 3599, 3600, 3601, 3602, 3603, 3604, 3605, 3606, 3607]);
    const planned = (await counting.store.executionsList({ jobId: 'sec', limit: 5_000 })).find(
      (e) => e.fireAt === anchor + 3_000,
    );
    expect(planned?.status).toBe('missed');
    const missed = (await scheduler.listExecutions({ jobId: 'sec', status: 'missed', limit: 1000 }))
      .items;
    expect(missed.length).toBe(1_000); // capped: the ledger records the newest 1,000 missed fires one by one
    const executions = (await scheduler.listExecutions({ jobId: 'sec', limit: 1000 })).items;
    expect(new Set(executions.map((e) => e.fireAt)).size).toBe(executions.length);
  });
});
