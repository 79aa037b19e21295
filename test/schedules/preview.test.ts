import { describe, expect, it } from 'vitest';
import { ChimeError } from '../../src/errors.js';
import type { Schedule } from '../../src/model/schedule.js';
import { nextFireTimes } from '../../src/schedules/index.js';

function rejection(fn: () => unknown): ChimeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ChimeError) return err;
    throw err;
  }
  throw new Error('expected a ChimeError');
}

describe('nextFireTimes', () => {
  it('shows UTC, local time with offset and the zone', () => {
    const [fire] = nextFireTimes(
      { kind: 'cron', expr: '0 3 * * *', tz: 'Europe/Berlin' },
      { from: '2026-07-01T00:00:00Z', count: 1 },
    );
    expect(fire).toEqual({
      at: new Date('2026-07-01T01:00:00Z'),
      utc: '2026-07-01T01:00:00.000Z',
      local: '2026-07-01T03:00:00+02:00',
      tz: 'Europe/Berlin',
      dstShifted: false,
    });
  });

  it('marks a fixed-time fire moved out of the spring-forward gap', () => {
    const fires = nextFireTimes(
      { kind: 'cron', expr: '30 2 * * *', tz: 'Europe/Berlin' },
      { from: '2026-03-27T12:00:00Z', count: 3 },
    );
    expect(fires.map((f) => [f.local, f.dstShifted, f.note])).toEqual([
      ['2026-03-28T02:30:00+01:00', false, undefined],
      [
        '2026-03-29T03:00:00+02:00',
        true,
        '02:30 does not exist on 2026-03-29 (DST gap); fired at 03:00',
      ],
      ['2026-03-30T02:30:00+02:00', false, undefined],
    ]);
    expect(fires[1]?.utc).toBe('2026-03-29T01:00:00.000Z');
    expect('note' in (fires[0] ?? {})).toBe(false);
  });

  it('names every gap wall time that one shifted fire stands for', () => {
    const [fire] = nextFireTimes(
      { kind: 'cron', expr: '*/20 2 * * *', tz: 'Europe/Berlin' },
      { from: '2026-03-29T00:00:00Z', count: 1 },
    );
    expect(fire?.note).toBe(
      '02:00–02:40 do not exist on 2026-03-29 (DST gap); fired once at 03:00',
    );
  });

  it('marks the second occurrence of a repeated hour, not the first', () => {
    const fires = nextFireTimes(
      { kind: 'cron', expr: '*/30 * * * *', tz: 'Europe/Berlin' },
      { from: '2026-10-24T23:50:00Z', count: 5 },
    );
    expect(fires.map((f) => [f.local, f.dstShifted])).toEqual([
      ['2026-10-25T02:00:00+02:00', false],
      ['2026-10-25T02:30:00+02:00', false],
      ['2026-10-25T02:00:00+01:00', true],
      ['2026-10-25T02:30:00+01:00', true],
      ['2026-10-25T03:00:00+01:00', false],
    ]);
    expect(fires[2]?.note).toBe(
      '02:00 occurs twice on 2026-10-25 (DST fall-back); this is the second occurrence (+01:00)',
    );
  });

  it('does not mark a fixed-time fire at the first occurrence of a repeated hour', () => {
    const fires = nextFireTimes(
      { kind: 'cron', expr: '30 1 * * *', tz: 'America/New_York' },
      { from: '2026-10-31T12:00:00Z', count: 2 },
    );
    expect(fires.map((f) => [f.local, f.dstShifted])).toEqual([
      ['2026-11-01T01:30:00-04:00', false],
      ['2026-11-02T01:30:00-05:00', false],
    ]);
  });

  it('prints half-hour offsets and seconds (Lord Howe)', () => {
    const fires = nextFireTimes(
      { kind: 'cron', expr: '5 15 2 * * *', tz: 'Australia/Lord_Howe' },
      { from: '2026-10-02T00:00:00Z', count: 2 },
    );
    expect(fires.map((f) => [f.utc, f.local, f.dstShifted, f.note])).toEqual([
      ['2026-10-02T15:45:05.000Z', '2026-10-03T02:15:05+10:30', false, undefined],
      [
        '2026-10-03T15:30:00.000Z',
        '2026-10-04T02:30:00+11:00',
        true,
        '02:15:05 does not exist on 2026-10-04 (DST gap); fired at 02:30',
      ],
    ]);
  });

  it('previews interval schedules in UTC, anchored at startAt, anchorMs or from (whose own instant is the first fire)', () => {
    const from = '2026-01-01T00:00:00.500Z';
    expect(
      nextFireTimes({ kind: 'interval', every: '1h' }, { from, count: 2 }).map((f) => f.utc),
    ).toEqual(['2026-01-01T00:00:00.500Z', '2026-01-01T01:00:00.500Z']);
    const anchored = nextFireTimes(
      { kind: 'interval', every: '1h' },
      { from, count: 1, anchorMs: Date.parse('2025-12-31T23:20:00Z') },
    );
    expect(anchored[0]).toEqual({
      at: new Date('2026-01-01T00:20:00Z'),
      utc: '2026-01-01T00:20:00.000Z',
      local: '2026-01-01T00:20:00+00:00',
      tz: 'UTC',
      dstShifted: false,
    });
    expect(
      nextFireTimes(
        { kind: 'interval', every: 90_000, startAt: '2026-01-01T00:00:00Z' },
        { from, count: 1, anchorMs: 0 },
      )[0]?.utc,
    ).toBe('2026-01-01T00:01:30.000Z');
    expect(nextFireTimes({ kind: 'interval', every: 250 }, { from, count: 2 })[1]?.local).toBe(
      '2026-01-01T00:00:00.750+00:00',
    );
  });

  it('lists fires strictly after `from`, given as Date, text or epoch ms', () => {
    const schedule: Schedule = { kind: 'cron', expr: '0 * * * *' };
    const at = '2026-05-01T10:00:00.000Z';
    for (const from of [new Date(at), at, Date.parse(at)]) {
      expect(nextFireTimes(schedule, { from, count: 1 })[0]?.utc).toBe('2026-05-01T11:00:00.000Z');
    }
  });

  it('stops early when the schedule ends', () => {
    expect(
      nextFireTimes({ kind: 'once', at: '2026-12-01T10:00:00Z' }, { from: '2026-01-01T00:00:00Z' }),
    ).toHaveLength(1);
    expect(
      nextFireTimes({ kind: 'once', at: '2026-12-01T10:00:00Z' }, { from: '2026-12-01T10:00:00Z' }),
    ).toEqual([]);
    expect(
      nextFireTimes(
        { kind: 'cron', expr: '0 0 * * *', endAt: '2026-01-03T00:00:00Z' },
        { from: '2026-01-01T00:00:00Z', count: 10 },
      ).map((f) => f.utc),
    ).toEqual(['2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z']);
  });

  it('defaults to 10 fires after now, and allows up to 1000', () => {
    const before = Date.now();
    const fires = nextFireTimes({ kind: 'cron', expr: '* * * * * *' });
    expect(fires).toHaveLength(10);
    expect(fires[0]?.at.getTime()).toBeGreaterThan(before);
    expect(
      nextFireTimes({ kind: 'cron', expr: '*/15 * * * *', tz: 'Europe/Berlin' }, { count: 1000 }),
    ).toHaveLength(1000);
  });

  it.each([0, -1, 1001, 1.5, Number.NaN])('rejects count %s at /count', (count) => {
    const err = rejection(() => nextFireTimes({ kind: 'cron', expr: '0 * * * *' }, { count }));
    expect(err.code).toBe('CHIME_ERR_INVALID_INPUT');
    expect(err.path).toBe('/count');
  });

  it('rejects a bad `from` at /from', () => {
    for (const from of ['yesterday', Number.NaN]) {
      const err = rejection(() => nextFireTimes({ kind: 'cron', expr: '0 * * * *' }, { from }));
      expect(err.code).toBe('CHIME_ERR_DATE_INVALID');
      expect(err.path).toBe('/from');
    }
  });

  it('validates the schedule first, with paths under /schedule', () => {
    const err = rejection(() =>
      nextFireTimes({ kind: 'cron', expr: '0 3 * * *', tz: 'Moon/Base' }),
    );
    expect(err.code).toBe('CHIME_ERR_SCHEDULE_TZ_INVALID');
    expect(err.path).toBe('/schedule/tz');
  });
});
