import { describe, expect, it } from 'vitest';
import { ChimeError, type ErrorCode } from '../../src/errors.js';
import type { Schedule } from '../../src/model/schedule.js';
import { validateSchedule } from '../../src/schedules/index.js';

function failure(schedule: unknown): ChimeError {
  try {
    validateSchedule(schedule as Schedule, '/schedule');
  } catch (err) {
    if (err instanceof ChimeError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(schedule)} to be rejected`);
}

const rejected: [string, unknown, ErrorCode, string][] = [
  [
    'text that is no cron',
    { kind: 'cron', expr: 'every day' },
    'CHIME_ERR_SCHEDULE_CRON_INVALID',
    '/schedule/expr',
  ],
  [
    'a minute out of range',
    { kind: 'cron', expr: '60 * * * *' },
    'CHIME_ERR_SCHEDULE_CRON_INVALID',
    '/schedule/expr',
  ],
  [
    '4 fields',
    { kind: 'cron', expr: '* * * *' },
    'CHIME_ERR_SCHEDULE_CRON_INVALID',
    '/schedule/expr',
  ],
  [
    '7 fields',
    { kind: 'cron', expr: '0 0 0 * * * 2030' },
    'CHIME_ERR_SCHEDULE_CRON_INVALID',
    '/schedule/expr',
  ],
  [
    'a zero step',
    { kind: 'cron', expr: '*/0 * * * *' },
    'CHIME_ERR_SCHEDULE_CRON_INVALID',
    '/schedule/expr',
  ],
  [
    'February 30 (never fires)',
    { kind: 'cron', expr: '0 0 30 2 *' },
    'CHIME_ERR_SCHEDULE_CRON_INVALID',
    '/schedule/expr',
  ],
  [
    'April 31 (never fires)',
    { kind: 'cron', expr: '0 0 31 4 *' },
    'CHIME_ERR_SCHEDULE_CRON_INVALID',
    '/schedule/expr',
  ],
  [
    'an ISO date (croner would take it as a one-shot)',
    { kind: 'cron', expr: '2026-01-01T00:00:00' },
    'CHIME_ERR_SCHEDULE_CRON_INVALID',
    '/schedule/expr',
  ],
  [
    '@reboot',
    { kind: 'cron', expr: '@reboot' },
    'CHIME_ERR_SCHEDULE_CRON_INVALID',
    '/schedule/expr',
  ],
  [
    'an unknown zone',
    { kind: 'cron', expr: '0 3 * * *', tz: 'Mars/Olympus_Mons' },
    'CHIME_ERR_SCHEDULE_TZ_INVALID',
    '/schedule/tz',
  ],
  [
    'an offset instead of a zone',
    { kind: 'cron', expr: '0 3 * * *', tz: '+01:00' },
    'CHIME_ERR_SCHEDULE_TZ_INVALID',
    '/schedule/tz',
  ],
  [
    'an empty zone',
    { kind: 'cron', expr: '0 3 * * *', tz: '' },
    'CHIME_ERR_SCHEDULE_TZ_INVALID',
    '/schedule/tz',
  ],
  [
    'a cron startAt without offset',
    { kind: 'cron', expr: '0 3 * * *', startAt: '2026-01-01T00:00:00' },
    'CHIME_ERR_DATE_INVALID',
    '/schedule/startAt',
  ],
  [
    'a cron endAt that is no date',
    { kind: 'cron', expr: '0 3 * * *', endAt: 'next year' },
    'CHIME_ERR_DATE_INVALID',
    '/schedule/endAt',
  ],
  [
    'a cron endAt before startAt',
    {
      kind: 'cron',
      expr: '0 3 * * *',
      startAt: '2026-02-01T00:00:00Z',
      endAt: '2026-01-01T00:00:00Z',
    },
    'CHIME_ERR_SCHEDULE_RANGE_INVALID',
    '/schedule/endAt',
  ],
  [
    'a zero interval',
    { kind: 'interval', every: 0 },
    'CHIME_ERR_SCHEDULE_INTERVAL_INVALID',
    '/schedule/every',
  ],
  [
    'a "0s" interval',
    { kind: 'interval', every: '0s' },
    'CHIME_ERR_SCHEDULE_INTERVAL_INVALID',
    '/schedule/every',
  ],
  [
    'a negative interval',
    { kind: 'interval', every: -5000 },
    'CHIME_ERR_SCHEDULE_INTERVAL_INVALID',
    '/schedule/every',
  ],
  [
    'an interval shorter than 100 ms',
    { kind: 'interval', every: 99 },
    'CHIME_ERR_SCHEDULE_INTERVAL_INVALID',
    '/schedule/every',
  ],
  [
    'an interval longer than 100 years',
    { kind: 'interval', every: 1e19 },
    'CHIME_ERR_SCHEDULE_INTERVAL_INVALID',
    '/schedule/every',
  ],
  [
    'a negative interval string',
    { kind: 'interval', every: '-1m' },
    'CHIME_ERR_SCHEDULE_INTERVAL_INVALID',
    '/schedule/every',
  ],
  [
    'an interval that is no duration',
    { kind: 'interval', every: 'soon' },
    'CHIME_ERR_SCHEDULE_INTERVAL_INVALID',
    '/schedule/every',
  ],
  [
    'an interval startAt that is no date',
    { kind: 'interval', every: '5m', startAt: 'now' },
    'CHIME_ERR_DATE_INVALID',
    '/schedule/startAt',
  ],
  [
    'an interval endAt before startAt',
    {
      kind: 'interval',
      every: '5m',
      startAt: '2026-01-01T00:00:01Z',
      endAt: '2026-01-01T00:00:00Z',
    },
    'CHIME_ERR_SCHEDULE_RANGE_INVALID',
    '/schedule/endAt',
  ],
  [
    'a once date that is no date',
    { kind: 'once', at: 'tomorrow' },
    'CHIME_ERR_DATE_INVALID',
    '/schedule/at',
  ],
  [
    'a once date without offset',
    { kind: 'once', at: '2026-12-01T10:00:00' },
    'CHIME_ERR_DATE_INVALID',
    '/schedule/at',
  ],
  [
    'an unknown kind',
    { kind: 'rrule', rule: 'FREQ=DAILY' },
    'CHIME_ERR_SCHEDULE_KIND_UNKNOWN',
    '/schedule/kind',
  ],
];

describe('validateSchedule', () => {
  it.each(rejected)('rejects %s', (_name, schedule, code, path) => {
    const err = failure(schedule);
    expect(err.code).toBe(code);
    expect(err.path).toBe(path);
  });

  it("puts croner's reason in the message of a bad expression", () => {
    const err = failure({ kind: 'cron', expr: '60 * * * *' });
    expect(err.message).toContain('Invalid value for minute: 60');
    expect(err.message).toContain('60 * * * *');
  });

  it.each(['* * * *', '0 0 0 * * * 2030', '0 0 0 ? * MON 2030 *'])(
    'says what a cron expression may be when %j has another count of fields (never that seven are allowed)',
    (expr) => {
      const { message } = failure({ kind: 'cron', expr });
      expect(message).toContain('5 fields (minute hour day-of-month month day-of-week), or 6');
      expect(message).toContain(`this one has ${expr.split(' ').length}`);
      expect(message).not.toMatch(/five, six, or seven|7 parts/);
    },
  );

  it('says why an expression that parses is refused when it never fires', () => {
    expect(failure({ kind: 'cron', expr: '0 0 30 2 *' }).message).toContain('never fires');
  });

  it('names the path it is given', () => {
    try {
      validateSchedule({ kind: 'cron', expr: '0 3 * * *', tz: 'Nowhere/City' }, '/jobs/3/schedule');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ChimeError);
      expect((err as ChimeError).path).toBe('/jobs/3/schedule/tz');
    }
  });

  it.each<Schedule>([
    { kind: 'cron', expr: '0 3 * * *' },
    { kind: 'cron', expr: '*/10 * * * * *', tz: 'Europe/Berlin' },
    { kind: 'cron', expr: '@hourly' },
    { kind: 'cron', expr: '@annually', tz: 'Australia/Lord_Howe' },
    { kind: 'cron', expr: '0 0 L * *' },
    { kind: 'cron', expr: '0 9 15W * *' },
    { kind: 'cron', expr: '0 9 * * 5#2' },
    { kind: 'cron', expr: '0 0 29 2 *' },
    { kind: 'cron', expr: '0 3 * * *', tz: 'UTC' },
    {
      kind: 'cron',
      expr: '0 3 * * *',
      startAt: '2026-01-01T00:00:00Z',
      endAt: '2026-01-01T00:00:00Z',
    },
    { kind: 'interval', every: '5m' },
    { kind: 'interval', every: 100 },
    {
      kind: 'interval',
      every: '1h',
      startAt: '2026-01-01T00:00:00+02:00',
      endAt: '2026-01-02T00:00:00Z',
    },
    { kind: 'once', at: '2001-01-01T00:00:00Z' }, // in the past: the caller's check, not ours
  ])('accepts %j', (schedule) => {
    expect(() => validateSchedule(schedule, '/schedule')).not.toThrow();
  });
});
