/**
 * Previews of upcoming fires (`nextFireTimes`, `chime next`): each fire in UTC
 * and in the schedule's local time, with fires that a DST change moved marked.
 */
import { ChimeError } from '../errors.js';
import { formatInstant, parseInstant } from '../model/instant.js';
import { MAX_FIRES } from '../model/limits.js';
import type { Schedule } from '../model/schedule.js';
import { compileCron, compileSchedule, type FireTimes } from './fire-times.js';
import type { CronFireTimes } from './cron-fire-times.js';
import { validateSchedule } from './validate.js';
import type { CustomSchedules } from './custom.js';
import { formatLocal, getZone } from './zone.js';

/** One upcoming fire as shown by previews (`nextFireTimes`, `chime next`). */
export interface FirePreview {
  /** The fire instant. */
  at: Date;
  /** ISO 8601 UTC text. */
  utc: string;
  /** Local wall time in the schedule's zone with its offset, e.g. "2026-03-29T03:00:00+02:00". */
  local: string;
  /** The schedule's zone (UTC when none). */
  tz: string;
  /**
   * True when a DST change moved this fire off the wall time the expression names
   * (spring-forward gap shift), or when the fire is the second occurrence of a
   * repeated local hour.
   */
  dstShifted: boolean;
  /** Human note when dstShifted, e.g. "02:30 does not exist on 2026-03-29 (DST gap); fired at 03:00". */
  note?: string;
}

/** Options of {@link nextFireTimes}. */
export interface NextFireTimesOptions {
  /** How many fires, 1 to 1000 (default 10). */
  count?: number;
  /**
   * Fires strictly after this instant are listed (default: now). An interval
   * schedule without `startAt` or `anchorMs` is anchored here, and its first
   * fire is this instant itself: a job created now fires at once.
   */
  from?: Date | string | number;
  /** The anchor of an interval schedule without `startAt` (default: `from`). */
  anchorMs?: number;
  /**
   * The fires left to a job with a `maxFires` (its `maxFires` less its
   * `fireCount`; for a new job, `maxFires`): no more are listed.
   */
  maxFires?: number;
  /** The custom schedules a `custom` schedule may name. */
  customs?: CustomSchedules;
}

const DEFAULT_COUNT = 10;
const MAX_COUNT = 1000;

/**
 * The next `count` fires of `schedule` strictly after `from`, oldest first.
 * @throws ChimeError when the schedule is invalid (paths under `/schedule`), or
 *   `CHIME_ERR_INVALID_INPUT` at `/count`, `CHIME_ERR_DATE_INVALID` at `/from`.
 * @example nextFireTimes(cron('30 2 * * *', { tz: 'Europe/Berlin' }), { count: 3 })
 */
export function nextFireTimes(
  schedule: Schedule,
  options: NextFireTimesOptions = {},
): FirePreview[] {
  validateSchedule(schedule, '/schedule', options.customs);
  const count = checkedCount(options.count ?? DEFAULT_COUNT, 1, MAX_COUNT, 'count');
  const limit = Math.min(count, checkedCount(options.maxFires ?? count, 0, MAX_FIRES, 'maxFires'));
  const fromMs = toMs(options.from);
  const tz = schedule.kind === 'cron' ? (schedule.tz ?? 'UTC') : 'UTC';
  const zone = getZone(tz);
  let cronTimes: CronFireTimes | undefined;
  let times: FireTimes;
  if (schedule.kind === 'cron') {
    cronTimes = compileCron(schedule);
    times = cronTimes;
  } else {
    times = compileSchedule(schedule, options.anchorMs ?? fromMs, options.customs);
  }
  const out: FirePreview[] = [];
  const anchoredAtFrom =
    schedule.kind === 'interval' &&
    schedule.startAt === undefined &&
    options.anchorMs === undefined;
  let cursor = anchoredAtFrom ? fromMs - 1 : fromMs;
  while (out.length < limit) {
    const fire = times.nextAfter(cursor);
    if (fire === null) break;
    const shift = cronTimes?.describe(fire) ?? { dstShifted: false };
    const preview: FirePreview = {
      at: new Date(fire),
      utc: formatInstant(fire),
      local: formatLocal(fire, zone),
      tz,
      dstShifted: shift.dstShifted,
    };
    if (shift.note !== undefined) preview.note = shift.note;
    out.push(preview);
    cursor = fire;
  }
  return out;
}

function checkedCount(value: number, min: number, max: number, name: string): number {
  if (Number.isInteger(value) && value >= min && value <= max) return value;
  throw new ChimeError(
    'CHIME_ERR_INVALID_INPUT',
    `${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
    { path: `/${name}` },
  );
}

function toMs(from: Date | string | number | undefined): number {
  if (from === undefined) return Date.now();
  if (typeof from === 'number') {
    if (Number.isFinite(from)) return from;
    throw new ChimeError('CHIME_ERR_DATE_INVALID', `${String(from)} is not an instant`, {
      path: '/from',
    });
  }
  return parseInstant(from, '/from');
}
