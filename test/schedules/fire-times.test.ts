import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { compileSchedule, type FireTimes } from '../../src/schedules/index.js';
import type { Schedule } from '../../src/model/schedule.js';
import { between, cronIn, nextN, prevN, rng } from './helpers.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

describe('cron expressions', () => {
  it('supports 6-field expressions with a seconds field', () => {
    expect(nextN(cronIn('*/20 * * * * *', 'UTC'), '2026-01-01T00:00:00.500Z', 4)).toEqual([
      '2026-01-01T00:00:20.000Z',
      '2026-01-01T00:00:40.000Z',
      '2026-01-01T00:01:00.000Z',
      '2026-01-01T00:01:20.000Z',
    ]);
    expect(nextN(cronIn('15 30 9 * * *', 'Europe/Berlin'), '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-01T08:30:15.000Z',
      '2026-01-02T08:30:15.000Z',
    ]);
  });

  it('fires strictly after the given instant, at whole seconds', () => {
    const times = cronIn('0 * * * *', 'UTC');
    expect(times.nextAfter(Date.parse('2026-01-01T05:00:00Z'))).toBe(
      Date.parse('2026-01-01T06:00:00Z'),
    );
    expect(times.nextAfter(Date.parse('2026-01-01T04:59:59.999Z'))).toBe(
      Date.parse('2026-01-01T05:00:00Z'),
    );
  });

  it.each([
    ['@hourly', '2026-01-15T10:20:00Z', ['2026-01-15T11:00:00.000Z', '2026-01-15T12:00:00.000Z']],
    ['@daily', '2026-01-15T10:20:00Z', ['2026-01-16T00:00:00.000Z', '2026-01-17T00:00:00.000Z']],
    ['@midnight', '2026-01-15T10:20:00Z', ['2026-01-16T00:00:00.000Z', '2026-01-17T00:00:00.000Z']],
    ['@weekly', '2026-01-01T00:00:00Z', ['2026-01-04T00:00:00.000Z', '2026-01-11T00:00:00.000Z']],
    ['@monthly', '2026-01-15T00:00:00Z', ['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z']],
    ['@yearly', '2026-01-15T00:00:00Z', ['2027-01-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z']],
    ['@annually', '2026-01-15T00:00:00Z', ['2027-01-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z']],
  ])('supports the macro %s', (expr, from, expected) => {
    expect(nextN(cronIn(expr, 'UTC'), from, 2)).toEqual(expected);
  });

  it('evaluates macros in the zone', () => {
    expect(nextN(cronIn('@daily', 'America/New_York'), '2026-01-15T10:00:00Z', 1)).toEqual([
      '2026-01-16T05:00:00.000Z',
    ]);
    expect(nextN(cronIn('@hourly', 'Asia/Kolkata'), '2026-01-15T10:20:00Z', 1)).toEqual([
      '2026-01-15T10:30:00.000Z',
    ]);
  });

  it('supports L (last day of month), including leap Februaries', () => {
    expect(nextN(cronIn('0 0 L * *', 'UTC'), '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-31T00:00:00.000Z',
      '2026-02-28T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
    ]);
    expect(nextN(cronIn('0 0 L 2 *', 'UTC'), '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-02-28T00:00:00.000Z',
      '2027-02-28T00:00:00.000Z',
      '2028-02-29T00:00:00.000Z',
    ]);
  });

  it('supports W (nearest weekday) and LW', () => {
    // 2026-08-15 is a Saturday, 2026-11-15 a Sunday, 2026-08-01 a Saturday.
    expect(nextN(cronIn('0 9 15W * *', 'UTC'), '2026-07-01T00:00:00Z', 6)).toEqual([
      '2026-07-15T09:00:00.000Z',
      '2026-08-14T09:00:00.000Z',
      '2026-09-15T09:00:00.000Z',
      '2026-10-15T09:00:00.000Z',
      '2026-11-16T09:00:00.000Z',
      '2026-12-15T09:00:00.000Z',
    ]);
    expect(nextN(cronIn('0 9 1W * *', 'UTC'), '2026-07-15T00:00:00Z', 1)).toEqual([
      '2026-08-03T09:00:00.000Z',
    ]);
    expect(nextN(cronIn('0 9 LW * *', 'UTC'), '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-30T09:00:00.000Z',
      '2026-02-27T09:00:00.000Z',
    ]);
  });

  it('supports # (nth weekday) and #L (last weekday of month)', () => {
    expect(nextN(cronIn('0 9 * * 5#2', 'UTC'), '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-09T09:00:00.000Z',
      '2026-02-13T09:00:00.000Z',
    ]);
    expect(nextN(cronIn('0 9 * * MON#1', 'UTC'), '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-05T09:00:00.000Z',
      '2026-02-02T09:00:00.000Z',
    ]);
    expect(nextN(cronIn('0 9 * * 5#L', 'UTC'), '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-30T09:00:00.000Z',
      '2026-02-27T09:00:00.000Z',
    ]);
  });

  it('does not skip the 1st of March when day-of-month OR day-of-week follows February', () => {
    // croner 10.0.1's nextRun probes "Feb 29-31" and lands on Monday 03-03, skipping 03-01.
    expect(nextN(cronIn('0 12 1 * MON', 'UTC'), '2025-02-24T12:00:00Z', 2)).toEqual([
      '2025-03-01T12:00:00.000Z',
      '2025-03-03T12:00:00.000Z',
    ]);
    expect(nextN(cronIn('0 0 1,15 * 3', 'UTC'), '2027-02-24T00:00:00Z', 2)).toEqual([
      '2027-03-01T00:00:00.000Z',
      '2027-03-03T00:00:00.000Z',
    ]);
  });

  it('answers previous() for February-only expressions (croner previousRuns throws on them)', () => {
    expect(
      prevN(cronIn('0 0 29 2 *', 'UTC'), '2031-01-01T00:00:00Z', 2, '2020-01-01T00:00:00Z'),
    ).toEqual(['2028-02-29T00:00:00.000Z', '2024-02-29T00:00:00.000Z']);
    expect(
      prevN(cronIn('0 0 L 2 *', 'UTC'), '2029-01-01T00:00:00Z', 2, '2020-01-01T00:00:00Z'),
    ).toEqual(['2028-02-29T00:00:00.000Z', '2027-02-28T00:00:00.000Z']);
  });
});

describe('cron startAt / endAt', () => {
  const schedule: Schedule = {
    kind: 'cron',
    expr: '0 * * * *',
    startAt: '2026-01-01T05:00:00Z',
    endAt: '2026-01-01T08:00:00Z',
  };

  it('fires only inside the inclusive window', () => {
    const times = compileSchedule(schedule);
    expect(nextN(times, '2020-01-01T00:00:00Z', 10)).toEqual([
      '2026-01-01T05:00:00.000Z',
      '2026-01-01T06:00:00.000Z',
      '2026-01-01T07:00:00.000Z',
      '2026-01-01T08:00:00.000Z',
    ]);
    expect(times.nextAfter(Date.parse('2026-01-01T08:00:00Z'))).toBeNull();
  });

  it('bounds previous() by the window too', () => {
    const times = compileSchedule(schedule);
    expect(prevN(times, '2030-01-01T00:00:00Z', 10, '2020-01-01T00:00:00Z')).toEqual([
      '2026-01-01T08:00:00.000Z',
      '2026-01-01T07:00:00.000Z',
      '2026-01-01T06:00:00.000Z',
      '2026-01-01T05:00:00.000Z',
    ]);
    expect(prevN(times, '2026-01-01T06:30:00Z', 10, '2026-01-01T06:00:00Z')).toEqual([
      '2026-01-01T06:00:00.000Z',
    ]);
  });
});

describe('interval schedules', () => {
  const anchor = Date.parse('2026-01-01T00:00:00.123Z');
  const every = 7 * MINUTE;

  it('fires at anchor + k·every and never re-anchors on the query time', () => {
    const times = compileSchedule({ kind: 'interval', every: '7m' }, anchor);
    const now = Date.parse('2026-06-15T13:37:42.999Z');
    const next = times.nextAfter(now);
    expect(next).not.toBeNull();
    expect(((next ?? 0) - anchor) % every).toBe(0);
    expect(next).toBeGreaterThan(now);
    expect((next ?? 0) - every).toBeLessThanOrEqual(now);
    expect(times.nextAfter(anchor - 1)).toBe(anchor);
    expect(times.nextAfter(anchor)).toBe(anchor + every);
  });

  it('uses schedule.startAt as the anchor when given', () => {
    const times = compileSchedule({
      kind: 'interval',
      every: 90_000,
      startAt: '2026-03-01T10:00:00Z',
    });
    expect(nextN(times, '2026-03-01T10:02:00Z', 2)).toEqual([
      '2026-03-01T10:03:00.000Z',
      '2026-03-01T10:04:30.000Z',
    ]);
  });

  it('is arithmetic: a 1 ms interval anchored in 1970 answers at once', () => {
    const times = compileSchedule({ kind: 'interval', every: 1, startAt: '1970-01-01T00:00:00Z' });
    const t = Date.parse('2026-06-15T13:37:42.123Z');
    expect(times.nextAfter(t)).toBe(t + 1);
    expect(times.previous(t, 3, 0)).toEqual([t, t - 1, t - 2]);
  });

  it('stops at endAt (inclusive) and lists previous fires newest first', () => {
    const times = compileSchedule({
      kind: 'interval',
      every: '1h',
      startAt: '2026-01-01T00:00:00Z',
      endAt: '2026-01-01T03:00:00Z',
    });
    expect(nextN(times, '2025-12-31T00:00:00Z', 10)).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T01:00:00.000Z',
      '2026-01-01T02:00:00.000Z',
      '2026-01-01T03:00:00.000Z',
    ]);
    expect(prevN(times, '2027-01-01T00:00:00Z', 2, '2000-01-01T00:00:00Z')).toEqual([
      '2026-01-01T03:00:00.000Z',
      '2026-01-01T02:00:00.000Z',
    ]);
    expect(prevN(times, '2026-01-01T02:30:00Z', 10, '2026-01-01T00:30:00Z')).toEqual([
      '2026-01-01T02:00:00.000Z',
      '2026-01-01T01:00:00.000Z',
    ]);
    expect(prevN(times, '2025-12-31T23:59:59Z', 10, '2000-01-01T00:00:00Z')).toEqual([]);
  });

  it('needs an anchor when startAt is absent', () => {
    expect(() => compileSchedule({ kind: 'interval', every: '5m' })).toThrow(TypeError);
  });
});

describe('once schedules', () => {
  it('fires exactly once, at `at`', () => {
    const at = Date.parse('2026-12-01T10:00:00.250Z');
    const times = compileSchedule({ kind: 'once', at: '2026-12-01T10:00:00.250Z' });
    expect(times.nextAfter(at - 1)).toBe(at);
    expect(times.nextAfter(at)).toBeNull();
    expect(times.previous(at, 5, 0)).toEqual([at]);
    expect(times.previous(at - 1, 5, 0)).toEqual([]);
    expect(times.previous(at + 1, 5, at + 1)).toEqual([]);
    expect(times.previous(at + 1, 0, 0)).toEqual([]);
  });
});

describe('previous()', () => {
  it('returns at most `count` fires, newest first, not before notBeforeMs', () => {
    const times = cronIn('*/10 * * * *', 'UTC');
    expect(prevN(times, '2026-01-01T01:00:00Z', 3, '2026-01-01T00:00:00Z')).toEqual([
      '2026-01-01T01:00:00.000Z',
      '2026-01-01T00:50:00.000Z',
      '2026-01-01T00:40:00.000Z',
    ]);
    expect(prevN(times, '2026-01-01T00:25:00Z', 10, '2026-01-01T00:10:00Z')).toEqual([
      '2026-01-01T00:20:00.000Z',
      '2026-01-01T00:10:00.000Z',
    ]);
  });

  const zones = [
    'UTC',
    'Europe/Berlin',
    'America/New_York',
    'Australia/Lord_Howe',
    'Antarctica/Troll',
    'America/Santiago',
  ];
  const transitions = [
    '2026-03-08T07:00:00Z',
    '2026-03-29T01:00:00Z',
    '2026-04-04T15:00:00Z',
    '2026-04-05T03:00:00Z',
    '2026-09-06T04:00:00Z',
    '2026-10-03T15:30:00Z',
    '2026-10-25T01:00:00Z',
    '2026-11-01T06:00:00Z',
  ].map((iso) => Date.parse(iso));
  const exprs = [
    '30 2 * * *',
    '*/15 * * * *',
    '0 * * * *',
    '*/20 2 * * *',
    '@daily',
    '45 1 * * *',
    '15 */3 * * 1-5',
    '0 0 L * *',
    '0 12 1 * MON',
    '*/30 1-3 * * *',
  ];

  it('is the exact reverse of iterating nextAfter() over random ranges around DST changes', () => {
    const random = rng(20260329);
    let checked = 0;
    for (const tz of zones) {
      for (const expr of exprs) {
        const times = cronIn(expr, tz);
        for (let round = 0; round < 6; round++) {
          const centre = transitions[Math.floor(random() * transitions.length)] ?? 0;
          const hi = Math.round(centre + (random() - 0.5) * 4 * DAY);
          const lo = hi - Math.round(random() * 3 * DAY);
          const forward = instantsBetween(times, lo - 1, hi);
          const count = 1 + Math.floor(random() * 200);
          const backward = times.previous(hi, count, lo);
          expect(backward, `${expr} in ${tz} over [${lo}, ${hi}]`).toEqual(
            forward.reverse().slice(0, count),
          );
          checked++;
        }
      }
    }
    expect(checked).toBe(zones.length * exprs.length * 6);
  });

  it('agrees with nextAfter() for bounded schedules over month-long random ranges', () => {
    const random = rng(7);
    const times = compileSchedule({
      kind: 'cron',
      expr: '*/45 */5 * * *',
      tz: 'Europe/Berlin',
      startAt: '2026-03-20T00:00:00Z',
      endAt: '2026-04-10T00:00:00Z',
    });
    for (let round = 0; round < 20; round++) {
      const hi = Date.parse('2026-03-10T00:00:00Z') + Math.round(random() * 40 * DAY);
      const lo = hi - Math.round(random() * 30 * DAY);
      expect(times.previous(hi, 10_000, lo)).toEqual(instantsBetween(times, lo - 1, hi).reverse());
    }
  });
});

function instantsBetween(times: FireTimes, after: number, to: number): number[] {
  return between(times, new Date(after).toISOString(), new Date(to).toISOString()).map((iso) =>
    Date.parse(iso),
  );
}

describe('the DST rule against a brute-force minute-by-minute oracle', () => {
  const cases: { tz: string; at: string }[] = [
    { tz: 'Europe/Berlin', at: '2026-03-29T01:00:00Z' },
    { tz: 'Europe/Berlin', at: '2026-10-25T01:00:00Z' },
    { tz: 'America/New_York', at: '2026-03-08T07:00:00Z' },
    { tz: 'America/New_York', at: '2026-11-01T06:00:00Z' },
    { tz: 'Australia/Lord_Howe', at: '2026-04-04T15:00:00Z' },
    { tz: 'Australia/Lord_Howe', at: '2026-10-03T15:30:00Z' },
    { tz: 'Antarctica/Troll', at: '2026-03-29T01:00:00Z' },
    { tz: 'Antarctica/Troll', at: '2026-10-25T01:00:00Z' },
    { tz: 'America/Santiago', at: '2026-04-05T03:00:00Z' },
    { tz: 'America/Santiago', at: '2026-09-06T04:00:00Z' },
  ];
  const exprs: { expr: string; fixed: boolean }[] = [
    { expr: '30 2 * * *', fixed: true },
    { expr: '*/20 2 * * *', fixed: true },
    { expr: '* 2 * * *', fixed: true },
    { expr: '15 1-3 * * *', fixed: true },
    { expr: '0 0,23 * * *', fixed: true },
    { expr: '*/15 * * * *', fixed: false },
    { expr: '0 * * * *', fixed: false },
    { expr: '*/7 * * * *', fixed: false },
    { expr: '30 */2 * * *', fixed: false },
    { expr: '0 0-23/3 * * *', fixed: false },
  ];

  it.each(cases)('$tz around $at', ({ tz, at }) => {
    const start = Date.parse(at) - DAY;
    const end = Date.parse(at) + DAY;
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    const wallOf = (ms: number): number => {
      const p = Object.fromEntries(format.formatToParts(ms).map((x) => [x.type, Number(x.value)]));
      return Date.UTC(p.year ?? 0, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0);
    };
    const walls: number[] = [];
    for (let i = start - MINUTE; i <= end; i += MINUTE) walls.push(wallOf(i));
    for (const { expr, fixed } of exprs) {
      const cron = new Cron(expr, { utcOffset: 0 });
      const matches = (wall: number): boolean => cron.match(new Date(wall));
      const expected: number[] = [];
      let maxWall = walls[0] ?? 0;
      for (let k = 1; k < walls.length; k++) {
        const wall = walls[k] ?? 0;
        const instant = start + (k - 1) * MINUTE;
        if (!fixed) {
          if (matches(wall)) expected.push(instant);
        } else if (wall > maxWall) {
          // Fixed-time: fire when a newly shown wall time matches (all of a gap counts).
          let fire = false;
          for (let w = maxWall + MINUTE; w <= wall && !fire; w += MINUTE) fire = matches(w);
          if (fire) expected.push(instant);
        }
        maxWall = Math.max(maxWall, wall);
      }
      expect(instantsBetween(cronIn(expr, tz), start - 1, end), `${expr} (${tz})`).toEqual(
        expected,
      );
    }
  });
});

describe('unbounded queries', () => {
  it('accepts ±Infinity as query bounds (cron fires lie in 1900-2999)', () => {
    const cron = cronIn('0 0 1 1 *', 'Europe/Berlin');
    expect(cron.nextAfter(-Infinity)).toBe(Date.parse('1900-12-31T23:00:00Z'));
    expect(cron.previous(Infinity, 1, -Infinity)).toEqual([Date.parse('2999-12-31T23:00:00Z')]);
    const interval = compileSchedule({
      kind: 'interval',
      every: '1d',
      startAt: '2026-01-01T00:00:00Z',
    });
    expect(interval.nextAfter(-Infinity)).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(interval.previous(Infinity, 2, -Infinity)).toHaveLength(2);
  });
});
