import type { Scheduler, SchedulerEventName, SchedulerEvents } from '../../src/index.js';

/**
 * Resolves with the next `event` payload that satisfies `predicate`, or
 * rejects after `timeoutMs` of real time. Tests wait on signals, not sleeps.
 */
export function waitFor<E extends SchedulerEventName>(
  scheduler: Scheduler,
  event: E,
  predicate: (payload: SchedulerEvents[E]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<SchedulerEvents[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${event}`));
    }, timeoutMs);
    const off = scheduler.on(event, (payload) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

/** Collects every payload of `event` into an array (for counting). */
export function collect<E extends SchedulerEventName>(
  scheduler: Scheduler,
  event: E,
): SchedulerEvents[E][] {
  const seen: SchedulerEvents[E][] = [];
  scheduler.on(event, (payload) => seen.push(payload));
  return seen;
}

/** Polls `condition` on real time until it holds, or rejects after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
