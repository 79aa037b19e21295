import { describe, expect, it } from 'vitest';
import { between, cronIn, intlOffset, localDay, nextN, prevN } from './helpers.js';

/*
 * Expected instants are worked out by hand from the 2026 transitions below
 * (checked against this machine's ICU data in the first test of each zone):
 *
 * Europe/Berlin      +01 -> +02 at 2026-03-29T01:00Z (02:00-03:00 local missing)
 *                    +02 -> +01 at 2026-10-25T01:00Z (02:00-03:00 local twice)
 * America/New_York   -05 -> -04 at 2026-03-08T07:00Z (02:00-03:00 local missing)
 *                    -04 -> -05 at 2026-11-01T06:00Z (01:00-02:00 local twice)
 * Australia/Lord_Howe +11 -> +10:30 at 2026-04-04T15:00Z (01:30-02:00 local twice on 04-05)
 *                    +10:30 -> +11 at 2026-10-03T15:30Z (02:00-02:30 local missing on 10-04)
 * Antarctica/Troll   +00 -> +02 at 2026-03-29T01:00Z (01:00-03:00 local missing)
 *                    +02 -> +00 at 2026-10-25T01:00Z (01:00-03:00 local twice)
 * America/Santiago   -03 -> -04 at 2026-04-05T03:00Z (23:00-24:00 local twice on 04-04)
 *                    -04 -> -03 at 2026-09-06T04:00Z (00:00-01:00 local missing on 09-06)
 */

/** Asserts the machine's tz data has the transition `at` from offset `before` to `after`. */
function expectTransition(tz: string, at: string, before: string, after: string): void {
  const ms = Date.parse(at);
  expect(intlOffset(new Date(ms - 1000).toISOString(), tz)).toBe(before);
  expect(intlOffset(at, tz)).toBe(after);
}

describe('Europe/Berlin', () => {
  const tz = 'Europe/Berlin';

  it('has the expected 2026 transitions in the tz data', () => {
    expectTransition(tz, '2026-03-29T01:00:00Z', 'GMT+01:00', 'GMT+02:00');
    expectTransition(tz, '2026-10-25T01:00:00Z', 'GMT+02:00', 'GMT+01:00');
  });

  it('fires a fixed-time job in the spring-forward gap once, at the first instant after the gap', () => {
    expect(nextN(cronIn('30 2 * * *', tz), '2026-03-27T12:00:00Z', 4)).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 02:30 missing -> 03:00 CEST
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  it('fires a fixed-time job naming several gap minutes only once', () => {
    expect(
      between(cronIn('*/20 2 * * *', tz), '2026-03-28T23:00:00Z', '2026-03-29T23:00:00Z'),
    ).toEqual(['2026-03-29T01:00:00.000Z']);
  });

  it('fires a fixed-time job in the repeated hour once, at the first occurrence', () => {
    expect(nextN(cronIn('30 2 * * *', tz), '2026-10-23T12:00:00Z', 4)).toEqual([
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z', // 02:30 CEST; 02:30 CET (01:30Z) is skipped
      '2026-10-26T01:30:00.000Z',
      '2026-10-27T01:30:00.000Z',
    ]);
  });

  it('fires */15 in both occurrences of the repeated hour', () => {
    expect(
      between(cronIn('*/15 * * * *', tz), '2026-10-24T23:50:00Z', '2026-10-25T02:00:00Z'),
    ).toEqual([
      '2026-10-25T00:00:00.000Z', // 02:00 CEST
      '2026-10-25T00:15:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T00:45:00.000Z',
      '2026-10-25T01:00:00.000Z', // 02:00 CET
      '2026-10-25T01:15:00.000Z',
      '2026-10-25T01:30:00.000Z',
      '2026-10-25T01:45:00.000Z',
      '2026-10-25T02:00:00.000Z', // 03:00 CET
    ]);
  });

  it('fires */15 straight through the spring-forward gap (01:45 CET -> 03:00 CEST)', () => {
    expect(nextN(cronIn('*/15 * * * *', tz), '2026-03-29T00:40:00Z', 3)).toEqual([
      '2026-03-29T00:45:00.000Z', // 01:45 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST
      '2026-03-29T01:15:00.000Z',
    ]);
  });

  it('fires a daily job exactly once per local day over both DST weeks', () => {
    const spring = between(
      cronIn('30 2 * * *', tz),
      '2026-03-26T00:00:00Z',
      '2026-04-02T00:00:00Z',
    );
    expect(spring).toEqual([
      '2026-03-26T01:30:00.000Z',
      '2026-03-27T01:30:00.000Z',
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
      '2026-04-01T00:30:00.000Z',
    ]);
    const fall = between(cronIn('30 2 * * *', tz), '2026-10-22T00:00:00Z', '2026-10-29T00:00:00Z');
    expect(fall).toEqual([
      '2026-10-22T00:30:00.000Z',
      '2026-10-23T00:30:00.000Z',
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
      '2026-10-27T01:30:00.000Z',
      '2026-10-28T01:30:00.000Z',
    ]);
    for (const week of [spring, fall]) {
      expect(new Set(week.map((iso) => localDay(iso, tz))).size).toBe(week.length);
    }
  });

  it('@hourly keeps its rhythm (both 02:00s) and @daily stays at midnight', () => {
    expect(between(cronIn('@hourly', tz), '2026-10-24T23:30:00Z', '2026-10-25T02:00:00Z')).toEqual([
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T02:00:00.000Z',
    ]);
    expect(nextN(cronIn('@daily', tz), '2026-03-28T12:00:00Z', 2)).toEqual([
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
    ]);
  });

  it('previous() agrees with nextAfter() across the repeated hour, newest first', () => {
    expect(
      prevN(cronIn('*/15 * * * *', tz), '2026-10-25T01:50:00Z', 6, '2026-10-24T00:00:00Z'),
    ).toEqual([
      '2026-10-25T01:45:00.000Z',
      '2026-10-25T01:30:00.000Z',
      '2026-10-25T01:15:00.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T00:45:00.000Z',
      '2026-10-25T00:30:00.000Z',
    ]);
    expect(
      prevN(cronIn('30 2 * * *', tz), '2026-10-26T12:00:00Z', 3, '2026-10-01T00:00:00Z'),
    ).toEqual(['2026-10-26T01:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-24T00:30:00.000Z']);
    expect(
      prevN(cronIn('30 2 * * *', tz), '2026-03-30T12:00:00Z', 3, '2026-03-01T00:00:00Z'),
    ).toEqual(['2026-03-30T00:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-28T01:30:00.000Z']);
  });
});

describe('America/New_York', () => {
  const tz = 'America/New_York';

  it('has the expected 2026 transitions in the tz data', () => {
    expectTransition(tz, '2026-03-08T07:00:00Z', 'GMT-05:00', 'GMT-04:00');
    expectTransition(tz, '2026-11-01T06:00:00Z', 'GMT-04:00', 'GMT-05:00');
  });

  it('fires a fixed-time job in the gap once at 03:00 EDT', () => {
    expect(nextN(cronIn('30 2 * * *', tz), '2026-03-06T12:00:00Z', 3)).toEqual([
      '2026-03-07T07:30:00.000Z', // 02:30 EST
      '2026-03-08T07:00:00.000Z', // 02:30 missing -> 03:00 EDT
      '2026-03-09T06:30:00.000Z', // 02:30 EDT
    ]);
  });

  it('fires a fixed-time job in the repeated hour once, at the EDT occurrence', () => {
    expect(nextN(cronIn('30 1 * * *', tz), '2026-10-30T12:00:00Z', 3)).toEqual([
      '2026-10-31T05:30:00.000Z',
      '2026-11-01T05:30:00.000Z', // 01:30 EDT; 01:30 EST (06:30Z) is skipped
      '2026-11-02T06:30:00.000Z',
    ]);
  });

  it('fires */30 in both occurrences of 01:00-02:00 and skips the gap', () => {
    expect(
      between(cronIn('*/30 * * * *', tz), '2026-11-01T04:40:00Z', '2026-11-01T07:00:00Z'),
    ).toEqual([
      '2026-11-01T05:00:00.000Z', // 01:00 EDT
      '2026-11-01T05:30:00.000Z', // 01:30 EDT
      '2026-11-01T06:00:00.000Z', // 01:00 EST
      '2026-11-01T06:30:00.000Z', // 01:30 EST
      '2026-11-01T07:00:00.000Z', // 02:00 EST
    ]);
    expect(nextN(cronIn('*/30 * * * *', tz), '2026-03-08T06:10:00Z', 3)).toEqual([
      '2026-03-08T06:30:00.000Z', // 01:30 EST
      '2026-03-08T07:00:00.000Z', // 03:00 EDT
      '2026-03-08T07:30:00.000Z',
    ]);
  });

  it('fires a daily job exactly once per local day over both DST weeks', () => {
    const spring = between(
      cronIn('30 2 * * *', tz),
      '2026-03-05T12:00:00Z',
      '2026-03-12T12:00:00Z',
    );
    expect(spring).toEqual([
      '2026-03-06T07:30:00.000Z',
      '2026-03-07T07:30:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T06:30:00.000Z',
      '2026-03-10T06:30:00.000Z',
      '2026-03-11T06:30:00.000Z',
      '2026-03-12T06:30:00.000Z',
    ]);
    const fall = between(cronIn('30 1 * * *', tz), '2026-10-29T12:00:00Z', '2026-11-05T12:00:00Z');
    expect(fall).toEqual([
      '2026-10-30T05:30:00.000Z',
      '2026-10-31T05:30:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
      '2026-11-03T06:30:00.000Z',
      '2026-11-04T06:30:00.000Z',
      '2026-11-05T06:30:00.000Z',
    ]);
    for (const week of [spring, fall]) {
      expect(new Set(week.map((iso) => localDay(iso, tz))).size).toBe(week.length);
    }
  });
});

describe('Australia/Lord_Howe (30-minute DST)', () => {
  const tz = 'Australia/Lord_Howe';

  it('has the expected 2026 transitions in the tz data', () => {
    expectTransition(tz, '2026-04-04T15:00:00Z', 'GMT+11:00', 'GMT+10:30');
    expectTransition(tz, '2026-10-03T15:30:00Z', 'GMT+10:30', 'GMT+11:00');
  });

  it('fires a fixed-time job in the 02:00-02:30 gap once at 02:30', () => {
    expect(nextN(cronIn('15 2 * * *', tz), '2026-10-02T00:00:00Z', 3)).toEqual([
      '2026-10-02T15:45:00.000Z', // 10-03 02:15 +10:30
      '2026-10-03T15:30:00.000Z', // 10-04 02:15 missing -> 02:30 +11
      '2026-10-04T15:15:00.000Z', // 10-05 02:15 +11
    ]);
  });

  it('fires a fixed-time job in the repeated 01:30-02:00 once, at the +11 occurrence', () => {
    expect(nextN(cronIn('45 1 * * *', tz), '2026-04-03T00:00:00Z', 3)).toEqual([
      '2026-04-03T14:45:00.000Z',
      '2026-04-04T14:45:00.000Z', // 04-05 01:45 +11; 01:45 +10:30 (15:15Z) is skipped
      '2026-04-05T15:15:00.000Z',
    ]);
  });

  it('fires */30 at both 01:30s and */15 straight through the gap', () => {
    expect(
      between(cronIn('*/30 * * * *', tz), '2026-04-04T13:50:00Z', '2026-04-04T16:00:00Z'),
    ).toEqual([
      '2026-04-04T14:00:00.000Z', // 01:00 +11
      '2026-04-04T14:30:00.000Z', // 01:30 +11
      '2026-04-04T15:00:00.000Z', // 01:30 +10:30
      '2026-04-04T15:30:00.000Z', // 02:00 +10:30
      '2026-04-04T16:00:00.000Z',
    ]);
    expect(nextN(cronIn('*/15 * * * *', tz), '2026-10-03T15:00:00Z', 3)).toEqual([
      '2026-10-03T15:15:00.000Z', // 01:45 +10:30
      '2026-10-03T15:30:00.000Z', // 02:30 +11 (02:00 and 02:15 do not exist)
      '2026-10-03T15:45:00.000Z',
    ]);
  });

  it('skips the missing 02:00 of an hourly job', () => {
    expect(nextN(cronIn('0 * * * *', tz), '2026-10-03T13:50:00Z', 3)).toEqual([
      '2026-10-03T14:30:00.000Z', // 01:00 +10:30
      '2026-10-03T16:00:00.000Z', // 03:00 +11
      '2026-10-03T17:00:00.000Z',
    ]);
  });

  it('fires a daily job exactly once per local day over both DST weeks', () => {
    const spring = between(
      cronIn('15 2 * * *', tz),
      '2026-09-30T12:00:00Z',
      '2026-10-07T12:00:00Z',
    );
    expect(spring).toEqual([
      '2026-09-30T15:45:00.000Z',
      '2026-10-01T15:45:00.000Z',
      '2026-10-02T15:45:00.000Z',
      '2026-10-03T15:30:00.000Z',
      '2026-10-04T15:15:00.000Z',
      '2026-10-05T15:15:00.000Z',
      '2026-10-06T15:15:00.000Z',
    ]);
    const fall = between(cronIn('45 1 * * *', tz), '2026-04-01T12:00:00Z', '2026-04-08T12:00:00Z');
    expect(fall).toEqual([
      '2026-04-01T14:45:00.000Z',
      '2026-04-02T14:45:00.000Z',
      '2026-04-03T14:45:00.000Z',
      '2026-04-04T14:45:00.000Z',
      '2026-04-05T15:15:00.000Z',
      '2026-04-06T15:15:00.000Z',
      '2026-04-07T15:15:00.000Z',
    ]);
    for (const week of [spring, fall]) {
      expect(new Set(week.map((iso) => localDay(iso, tz))).size).toBe(week.length);
    }
  });
});

describe('Antarctica/Troll (2-hour DST)', () => {
  const tz = 'Antarctica/Troll';

  it('has the expected 2026 transitions in the tz data', () => {
    expectTransition(tz, '2026-03-29T01:00:00Z', 'GMT+00:00', 'GMT+02:00');
    expectTransition(tz, '2026-10-25T01:00:00Z', 'GMT+02:00', 'GMT+00:00');
  });

  it('fires fixed-time jobs anywhere in the 01:00-03:00 gap once, at 03:00 +02', () => {
    expect(nextN(cronIn('30 1 * * *', tz), '2026-03-27T12:00:00Z', 3)).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T23:30:00.000Z', // 03-30 01:30 +02
    ]);
    expect(nextN(cronIn('30 2 * * *', tz), '2026-03-27T12:00:00Z', 3)).toEqual([
      '2026-03-28T02:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
  });

  it('fires fixed-time jobs in the repeated 01:00-03:00 once, at the +02 occurrence', () => {
    expect(nextN(cronIn('30 2 * * *', tz), '2026-10-23T12:00:00Z', 3)).toEqual([
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z', // 02:30 +02; 02:30 +00 (02:30Z) is skipped
      '2026-10-26T02:30:00.000Z',
    ]);
    expect(nextN(cronIn('30 1 * * *', tz), '2026-10-24T12:00:00Z', 2)).toEqual([
      '2026-10-24T23:30:00.000Z', // 10-25 01:30 +02; 01:30 +00 (01:30Z) is skipped
      '2026-10-26T01:30:00.000Z',
    ]);
  });

  it('fires an hourly job in both occurrences and skips the missing hours', () => {
    expect(
      between(cronIn('0 * * * *', tz), '2026-10-24T22:30:00Z', '2026-10-25T03:00:00Z'),
    ).toEqual([
      '2026-10-24T23:00:00.000Z', // 01:00 +02
      '2026-10-25T00:00:00.000Z', // 02:00 +02
      '2026-10-25T01:00:00.000Z', // 01:00 +00
      '2026-10-25T02:00:00.000Z', // 02:00 +00
      '2026-10-25T03:00:00.000Z', // 03:00 +00
    ]);
    expect(nextN(cronIn('0 * * * *', tz), '2026-03-28T23:30:00Z', 3)).toEqual([
      '2026-03-29T00:00:00.000Z', // 00:00 +00
      '2026-03-29T01:00:00.000Z', // 03:00 +02 (01:00 and 02:00 do not exist)
      '2026-03-29T02:00:00.000Z',
    ]);
  });

  it('fires a daily job exactly once per local day over both DST weeks', () => {
    const spring = between(
      cronIn('30 1 * * *', tz),
      '2026-03-25T12:00:00Z',
      '2026-04-01T12:00:00Z',
    );
    expect(spring).toEqual([
      '2026-03-26T01:30:00.000Z',
      '2026-03-27T01:30:00.000Z',
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T23:30:00.000Z',
      '2026-03-30T23:30:00.000Z',
      '2026-03-31T23:30:00.000Z',
    ]);
    const fall = between(cronIn('30 1 * * *', tz), '2026-10-21T12:00:00Z', '2026-10-28T12:00:00Z');
    expect(fall).toEqual([
      '2026-10-21T23:30:00.000Z',
      '2026-10-22T23:30:00.000Z',
      '2026-10-23T23:30:00.000Z',
      '2026-10-24T23:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
      '2026-10-27T01:30:00.000Z',
      '2026-10-28T01:30:00.000Z',
    ]);
    for (const week of [spring, fall]) {
      expect(new Set(week.map((iso) => localDay(iso, tz))).size).toBe(week.length);
    }
  });
});

describe('America/Santiago (DST at midnight)', () => {
  const tz = 'America/Santiago';

  it('has the expected 2026 transitions in the tz data', () => {
    expectTransition(tz, '2026-04-05T03:00:00Z', 'GMT-03:00', 'GMT-04:00');
    expectTransition(tz, '2026-09-06T04:00:00Z', 'GMT-04:00', 'GMT-03:00');
  });

  it('@daily is fixed-time: the missing midnight fires once at 01:00', () => {
    expect(nextN(cronIn('@daily', tz), '2026-09-04T12:00:00Z', 3)).toEqual([
      '2026-09-05T04:00:00.000Z', // 09-05 00:00 -04
      '2026-09-06T04:00:00.000Z', // 09-06 00:00 missing -> 01:00 -03
      '2026-09-07T03:00:00.000Z', // 09-07 00:00 -03
    ]);
  });

  it('@hourly is a rhythm: the repeated 23:00 fires twice', () => {
    expect(nextN(cronIn('@hourly', tz), '2026-04-05T01:30:00Z', 3)).toEqual([
      '2026-04-05T02:00:00.000Z', // 04-04 23:00 -03
      '2026-04-05T03:00:00.000Z', // 04-04 23:00 -04
      '2026-04-05T04:00:00.000Z', // 04-05 00:00 -04
    ]);
  });
});
