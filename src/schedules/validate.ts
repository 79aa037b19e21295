/**
 * Semantic checks of a schedule, after its JSON shape has been validated:
 * the cron expression parses and fires, the zone exists, the interval is
 * positive, the dates parse and the window is not reversed. Whether a one-shot
 * lies in the past is the caller's business (it owns the clock).
 */
import { ChimeError } from '../errors.js';
import { parseDuration, type Duration } from '../model/duration.js';
import { parseInstant } from '../model/instant.js';
import { SCHEDULE_KINDS, type CustomSchedule, type Schedule } from '../model/schedule.js';
import { CustomFireTimes, customScheduleFn, type CustomSchedules } from './custom.js';
import { compileCronExpression } from './cron-expression.js';
import { isValidTimeZone } from './zone.js';

/** Any wall time works to ask whether an expression ever fires; a fixed one keeps this pure. */
const PROBE_WALL = Date.UTC(2000, 0, 1);

/**
 * Checks `schedule` and throws at the first problem, naming the field under `path`
 * (a JSON Pointer such as `/schedule`).
 * @throws ChimeError `CHIME_ERR_SCHEDULE_KIND_UNKNOWN`, `CHIME_ERR_SCHEDULE_CRON_INVALID`,
 *   `CHIME_ERR_SCHEDULE_TZ_INVALID`, `CHIME_ERR_SCHEDULE_INTERVAL_INVALID`,
 *   `CHIME_ERR_DATE_INVALID` or `CHIME_ERR_SCHEDULE_RANGE_INVALID`.
 */
export function validateSchedule(
  schedule: Schedule,
  path: string,
  customs?: CustomSchedules,
): void {
  switch (schedule.kind) {
    case 'custom':
      validateCustom(schedule, path, customs);
      return;
    case 'cron':
      validateCronExpr(schedule.expr, `${path}/expr`);
      if (schedule.tz !== undefined && !isValidTimeZone(schedule.tz)) {
        throw new ChimeError(
          'CHIME_ERR_SCHEDULE_TZ_INVALID',
          `${JSON.stringify(schedule.tz)} is not a known IANA time zone, e.g. "Europe/Berlin"`,
          { path: `${path}/tz` },
        );
      }
      validateWindow(schedule.startAt, schedule.endAt, path);
      return;
    case 'interval':
      validateEvery(schedule.every, `${path}/every`);
      validateWindow(schedule.startAt, schedule.endAt, path);
      return;
    case 'once':
      parseInstant(schedule.at, `${path}/at`);
      return;
    default: {
      const kind: unknown = (schedule as { kind?: unknown }).kind;
      throw new ChimeError(
        'CHIME_ERR_SCHEDULE_KIND_UNKNOWN',
        `${JSON.stringify(kind) ?? 'undefined'} is not a schedule kind: use one of ${SCHEDULE_KINDS.join(', ')}`,
        { path: `${path}/kind` },
      );
    }
  }
}

/** A registered custom schedule whose function answers for its params (asked once, at a fixed instant). */
function validateCustom(
  schedule: CustomSchedule,
  path: string,
  customs: CustomSchedules | undefined,
): void {
  const fn = customScheduleFn(schedule, customs, path);
  try {
    new CustomFireTimes(schedule, fn).nextAfter(PROBE_WALL);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ChimeError(
      'CHIME_ERR_INVALID_INPUT',
      `custom schedule ${JSON.stringify(schedule.name)} refused its params: ${message}`,
      { path: `${path}/params`, cause: err },
    );
  }
}

function validateCronExpr(expr: string, path: string): void {
  let fires: boolean;
  try {
    fires = compileCronExpression(expr).nextAfter(PROBE_WALL) !== null;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ChimeError('CHIME_ERR_SCHEDULE_CRON_INVALID', message, { path, cause: err });
  }
  if (!fires) {
    throw new ChimeError(
      'CHIME_ERR_SCHEDULE_CRON_INVALID',
      `${JSON.stringify(expr)} never fires (no date matches it, e.g. February 30)`,
      { path },
    );
  }
}

function validateEvery(every: Duration, path: string): void {
  let ms: number;
  try {
    ms = parseDuration(every, path);
  } catch (err) {
    throw new ChimeError(
      'CHIME_ERR_SCHEDULE_INTERVAL_INVALID',
      `${JSON.stringify(every)} is not a positive duration: use milliseconds or a string such as "30s", "5m", "1h"`,
      { path, cause: err },
    );
  }
  if (ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
    throw new ChimeError(
      'CHIME_ERR_SCHEDULE_INTERVAL_INVALID',
      `the interval must be between 100 ms and 100 years, got ${JSON.stringify(every)}`,
      { path },
    );
  }
}

/** Shortest interval: faster than ten fires a second is a loop, not a schedule (and fills the ledger). */
const MIN_INTERVAL_MS = 100;
/** Longest interval: a hundred years keeps every fire a valid date. */
const MAX_INTERVAL_MS = 100 * 365.25 * 24 * 3_600_000;

function validateWindow(
  startAt: string | undefined,
  endAt: string | undefined,
  path: string,
): void {
  const start = startAt === undefined ? undefined : parseInstant(startAt, `${path}/startAt`);
  const end = endAt === undefined ? undefined : parseInstant(endAt, `${path}/endAt`);
  if (start !== undefined && end !== undefined && end < start) {
    throw new ChimeError(
      'CHIME_ERR_SCHEDULE_RANGE_INVALID',
      `endAt ${endAt} is before startAt ${startAt}`,
      { path: `${path}/endAt` },
    );
  }
}
