/**
 * A burst of fires due at one instant: the first targets are called once the
 * first starts are written, not after the starts of the whole burst.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { once, type Scheduler } from '../src/index.js';
import { testScheduler } from './helpers/scheduler.js';

describe('a burst due at one instant', () => {
  let scheduler: Scheduler | undefined;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  it('calls its first targets after the first few hundred starts, and fires all at the instant', async () => {
    const BURST = 2_000;
    const t = testScheduler({ concurrency: BURST, prefetch: BURST });
    scheduler = t.scheduler;
    let started = 0;
    let startedAtFirstCall: number | undefined;
    const calledAt: number[] = [];
    scheduler.on('execution:started', () => void started++);
    scheduler.setHandler(() => {
      startedAtFirstCall ??= started;
      calledAt.push(t.clock.now());
    });
    await scheduler.start();
    const at = t.clock.now() + 3_000;
    await scheduler.submitJobs(
      Array.from({ length: BURST }, (_, i) => ({ id: `b${i}`, schedule: once(new Date(at)) })),
    );
    for (let i = 0; i < 40 && calledAt.length < BURST; i++) await t.clock.advance(100);

    expect(calledAt).toHaveLength(BURST);
    expect(new Set(calledAt)).toEqual(new Set([at]));
    expect(startedAtFirstCall).toBeGreaterThan(0);
    expect(startedAtFirstCall).toBeLessThanOrEqual(256);
  });
});
