import { pino } from 'pino';
import {
  createScheduler,
  memoryStore,
  TestClock,
  type Scheduler,
  type SchedulerOptions,
} from '../../src/index.js';

/** A silent logger for tests. */
export const silent = pino({ level: 'silent' });

/** A scheduler on a memory store and a TestClock (unless options say otherwise), not yet started. */
export function testScheduler(options: SchedulerOptions = {}): {
  scheduler: Scheduler;
  clock: TestClock;
} {
  const clock =
    options.clock instanceof TestClock
      ? options.clock
      : new TestClock(Date.parse('2026-03-02T10:00:00Z'));
  const scheduler = createScheduler({ store: memoryStore(), logger: silent, ...options, clock });
  return { scheduler, clock };
}

/**
 * Stops a scheduler on a TestClock: `stop({ timeoutMs: 0 })` aborts what
 * still runs at the clock's next turn, so the clock is advanced in 10 ms steps
 * until the stop is done (at most `maxMs`).
 */
export async function stopOnTestClock(
  scheduler: Scheduler,
  clock: TestClock,
  maxMs = 5_000,
): Promise<void> {
  let stopped = false;
  const stopping = scheduler.stop({ timeoutMs: 0 }).finally(() => (stopped = true));
  for (let spent = 0; !stopped; spent += 10) {
    if (spent >= maxMs) throw new Error(`still not stopped after advancing ${maxMs} ms`);
    await clock.advance(10);
  }
  await stopping;
}
