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
