/**
 * Compiled schedules: the fire instants of a cron, interval or once schedule,
 * computed arithmetically or with one cron look-up per fire (never by stepping
 * through time).
 */
import { ChimeError } from '../errors.js';
import { parseDuration } from '../model/duration.js';
import { parseInstant } from '../model/instant.js';
import type { CronSchedule, IntervalSchedule, Schedule } from '../model/schedule.js';
import { compileCronExpression } from './cron-expression.js';
import { CronFireTimes } from './cron-fire-times.js';
import { getZone } from './zone.js';
import { CustomFireTimes, customScheduleFn, type CustomSchedules } from './custom.js';

/** The fire instants of one schedule, in epoch ms (UTC). */
export interface FireTimes {
  /** First fire strictly after `afterMs`, or null when the schedule has no more fires. */
  nextAfter(afterMs: number): number | null;
  /** Up to `count` fires in [notBeforeMs, atOrBeforeMs], NEWEST FIRST. */
  previous(atOrBeforeMs: number, count: number, notBeforeMs: number): number[];
}

/**
 * Compiles a (validated) schedule. For interval schedules `anchorMs` is the
 * resolved startAt (required when schedule.startAt is absent); a custom
 * schedule's function comes from `customs`.
 * @throws ChimeError for an invalid expression, zone, interval or date; TypeError
 *   for an interval schedule with neither `startAt` nor `anchorMs`.
 */
export function compileSchedule(
  schedule: Schedule,
  anchorMs?: number,
  customs?: CustomSchedules,
): FireTimes {
  switch (schedule.kind) {
    case 'custom':
      return new CustomFireTimes(schedule, customScheduleFn(schedule, customs, '/schedule'));
    case 'cron':
      return compileCron(schedule);
    case 'interval':
      return compileInterval(schedule, anchorMs);
    case 'once':
      return new OnceFireTimes(parseInstant(schedule.at, '/at'));
  }
}

/** Compiles a cron schedule, keeping the cron-specific API (DST descriptions) visible. */
export function compileCron(schedule: CronSchedule): CronFireTimes {
  return new CronFireTimes(
    compileCronExpression(schedule.expr),
    getZone(schedule.tz ?? 'UTC'),
    schedule.startAt === undefined ? -Infinity : parseInstant(schedule.startAt, '/startAt'),
    schedule.endAt === undefined ? Infinity : parseInstant(schedule.endAt, '/endAt'),
  );
}

function compileInterval(schedule: IntervalSchedule, anchorMs: number | undefined): FireTimes {
  const anchor =
    schedule.startAt === undefined ? anchorMs : parseInstant(schedule.startAt, '/startAt');
  if (anchor === undefined || !Number.isFinite(anchor)) {
    throw new TypeError('compileSchedule: an interval schedule without startAt needs anchorMs');
  }
  const every = parseDuration(schedule.every, '/every');
  if (every <= 0) {
    throw new ChimeError(
      'CHIME_ERR_SCHEDULE_INTERVAL_INVALID',
      'the interval must be longer than 0 ms',
      {
        path: '/every',
      },
    );
  }
  const endMs = schedule.endAt === undefined ? Infinity : parseInstant(schedule.endAt, '/endAt');
  return new IntervalFireTimes(anchor, every, endMs);
}

/** The largest instant a `Date` can hold. */
const MAX_DATE_MS = 8.64e15;

/** Fires at `anchor + k·every` (k = 0, 1, …) up to `endMs`. */
class IntervalFireTimes implements FireTimes {
  constructor(
    private readonly anchor: number,
    private readonly every: number,
    private readonly endMs: number,
  ) {}

  nextAfter(afterMs: number): number | null {
    const k = afterMs < this.anchor ? 0 : Math.floor((afterMs - this.anchor) / this.every) + 1;
    const fire = this.anchor + k * this.every;
    return fire <= this.endMs && fire <= MAX_DATE_MS ? fire : null;
  }

  previous(atOrBeforeMs: number, count: number, notBeforeMs: number): number[] {
    const hi = Math.min(atOrBeforeMs, this.endMs, MAX_DATE_MS);
    if (hi < this.anchor || count <= 0) return [];
    const kHi = Math.floor((hi - this.anchor) / this.every);
    const kLo = Math.max(0, Math.ceil((notBeforeMs - this.anchor) / this.every), kHi - count + 1);
    const out: number[] = [];
    for (let k = kHi; k >= kLo; k--) out.push(this.anchor + k * this.every);
    return out;
  }
}

/** Fires once, at `at`. */
class OnceFireTimes implements FireTimes {
  constructor(private readonly at: number) {}

  nextAfter(afterMs: number): number | null {
    return this.at > afterMs ? this.at : null;
  }

  previous(atOrBeforeMs: number, count: number, notBeforeMs: number): number[] {
    return count > 0 && this.at <= atOrBeforeMs && this.at >= notBeforeMs ? [this.at] : [];
  }
}
