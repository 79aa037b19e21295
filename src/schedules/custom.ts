/**
 * Custom schedules: fire-time functions registered in the library
 * (`scheduler.schedule(name, fn)`) and named by `{ kind: 'custom', name,
 * params }`. A function answers the first fire strictly after an instant, or
 * null when there is none; chime asks it one fire at a time, as it asks
 * croner, and checks each answer.
 */
import { ChimeError } from '../errors.js';
import type { CustomSchedule } from '../model/schedule.js';
import type { FireTimes } from './fire-times.js';

/** A custom schedule's function: the first fire strictly after `after`, or null. */
export type CustomScheduleFn = (after: Date, params: unknown) => Date | null;

/** The custom schedules of one scheduler, by name. */
export type CustomSchedules = ReadonlyMap<string, CustomScheduleFn>;

/** Most fires walked to answer one `previous` (a misfire backlog is bounded the same way). */
const MAX_WALK = 100_000;

/** The fire times of a custom schedule. */
export class CustomFireTimes implements FireTimes {
  constructor(
    private readonly schedule: CustomSchedule,
    private readonly fn: CustomScheduleFn,
  ) {}

  nextAfter(afterMs: number): number | null {
    const next = this.fn(new Date(afterMs), this.schedule.params);
    if (next === null) return null;
    if (!(next instanceof Date) || !(next.getTime() > afterMs)) {
      throw new ChimeError(
        'CHIME_ERR_INVALID_INPUT',
        `custom schedule "${this.schedule.name}" answered ${String(next)} for the fire after ${new Date(afterMs).toISOString()}: it must be a later Date or null`,
        { path: '/schedule/name' },
      );
    }
    return next.getTime();
  }

  previous(atOrBeforeMs: number, count: number, notBeforeMs: number): number[] {
    const found: number[] = [];
    let walked = 0;
    for (let at = this.nextAfter(notBeforeMs - 1); at !== null && at <= atOrBeforeMs;) {
      found.push(at);
      if (found.length > count) found.shift();
      if (++walked >= MAX_WALK) break;
      at = this.nextAfter(at);
    }
    return found.reverse();
  }
}

/** The registered function of a custom schedule. @throws ChimeError when none has its name. */
export function customScheduleFn(
  schedule: CustomSchedule,
  schedules: CustomSchedules | undefined,
  path: string,
): CustomScheduleFn {
  const fn = schedules?.get(schedule.name);
  if (fn) return fn;
  const known = [...(schedules?.keys() ?? [])];
  throw new ChimeError(
    'CHIME_ERR_SCHEDULE_KIND_UNKNOWN',
    `no custom schedule is registered as ${JSON.stringify(schedule.name)} (scheduler.schedule(name, fn)); registered: ${known.length > 0 ? known.join(', ') : 'none'}`,
    { path: `${path}/name` },
  );
}
