/**
 * Plans of an instance's own share go before those of other shares it takes
 * as overdue: after an outage every instance finds all the work overdue, and
 * without this order each would plan every job at once (on NATS, thousands
 * of writes racing each other while the cluster catches up).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChimeError, every, memoryStore, TestClock, type Scheduler } from '../src/index.js';
import { shardOf } from '../src/stores/rules.js';
import { SHARDS } from '../src/stores/instances.js';
import { intercept } from './helpers/intercept.js';
import { stopOnTestClock, testScheduler } from './helpers/scheduler.js';

describe('the plans of an instance after an outage', () => {
  const clock = new TestClock(Date.parse('2026-03-02T10:00:00Z'));
  const running: Scheduler[] = [];
  let down = false;
  afterEach(async () => {
    down = false;
    for (const s of running.splice(0)) await stopOnTestClock(s, clock);
  });

  it('go to the store its own share first, then the other share’s overdue jobs', async () => {
    const inner = memoryStore();
    /** Per instance, the job ids of each plan call made once the store is back. */
    const calls = new Map<string, string[][]>();
    let outageOver = false;
    const start = async (instanceId: string) => {
      const store = intercept(inner, {
        jobsAdvance: async (params) => {
          if (down) throw new ChimeError('CHIME_ERR_STORE_UNAVAILABLE', 'no leader');
          if (outageOver && params.plans.length > 0)
            calls.set(instanceId, [
              ...(calls.get(instanceId) ?? []),
              params.plans.map((p) => p.jobId),
            ]);
          return inner.jobsAdvance(params);
        },
      });
      const { scheduler } = testScheduler({ store, clock, instanceId, heartbeatMs: 1_000 });
      scheduler.handle('work', () => undefined);
      await scheduler.start();
      running.push(scheduler);
      return scheduler;
    };
    const a = await start('a');
    await start('b');
    for (let i = 0; i < 40; i++)
      await a.ensureJob({
        id: `job-${i}`,
        schedule: every('1s'),
        target: { type: 'handler', name: 'work' },
      });
    await clock.advance(3_000);
    down = true;
    await clock.advance(5_000);
    down = false;
    outageOver = true;
    await clock.advance(3_000); // a cycle after a failed one waits up to 2 s

    // a (first by id) owns the lower half of the shards, b the upper.
    const half = (id: string) => (shardOf(id) < SHARDS / 2 ? 'a' : 'b');
    for (const instance of ['a', 'b']) {
      const [first = []] = calls.get(instance) ?? [];
      expect(first.length).toBeGreaterThan(0);
      expect(new Set(first.map(half))).toEqual(new Set([instance]));
    }
  });
});
