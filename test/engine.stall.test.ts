/**
 * A stall between a fire's dispatch and its call (the process stopped, the
 * event loop blocked): the instance may have been declared dead meanwhile
 * and its work run elsewhere, so the call waits for a sign of life that says
 * it is still registered. Regression of a SIGSTOP landing in the middle of an
 * instant's dispatch: after SIGCONT the stopped instance called a handler of
 * a fire already run by the instance that took it over.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStore, once, type Scheduler } from '../src/index.js';
import { intercept } from './helpers/intercept.js';
import { testScheduler } from './helpers/scheduler.js';

describe('a stall in the middle of an instant', () => {
  let scheduler: Scheduler | undefined;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  it('calls the rest of the instant only after a sign of life confirms the instance', async () => {
    const inner = memoryStore();
    const order: string[] = [];
    const store = intercept(inner, {
      instanceBeat: async (params) => {
        order.push('beat');
        return inner.instanceBeat(params);
      },
    });
    const t = testScheduler({ store, concurrency: 2 });
    scheduler = t.scheduler;
    scheduler.handle('stalls', () => {
      order.push('stalls');
      t.clock.jump(30_000); // the process stood still for 30 s while it ran
    });
    scheduler.handle('next', () => void order.push('next'));
    await scheduler.start();
    const at = new Date(t.clock.now() + 1_500);
    await scheduler.ensureJob({
      id: 'a',
      schedule: once(at),
      target: { type: 'handler', name: 'stalls' },
    });
    await scheduler.ensureJob({
      id: 'b',
      schedule: once(at),
      target: { type: 'handler', name: 'next' },
    });
    await t.clock.advance(1_400);
    order.length = 0;
    for (let i = 0; i < 20 && !order.includes('next'); i++) await t.clock.advance(10);

    expect(order.slice(0, 1)).toEqual(['stalls']);
    expect(order.indexOf('beat')).toBeGreaterThan(0);
    expect(order.indexOf('next')).toBeGreaterThan(order.indexOf('beat'));
  });
});
