import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatInstant, instantMs } from '../src/model/instant.js';

describe('instants formatted and read back (remembered, the last two)', () => {
  it('always answer as Date does, whatever the order of the instants asked', () => {
    const instant = fc.integer({ min: 0, max: 4_102_444_800_000 });
    // A few distinct instants, asked in any order and mix: cache hits and misses both.
    const asked = fc.array(
      fc.record({ ms: fc.constantFrom(1_700_000_000_000, 1_700_000_000_001, 0), other: instant }),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(asked, fc.array(fc.boolean(), { maxLength: 40 }), (pairs, flips) => {
        pairs.forEach(({ ms, other }, i) => {
          const at = flips[i] ? other : ms;
          const text = formatInstant(at);
          expect(text).toBe(new Date(at).toISOString());
          expect(instantMs(text)).toBe(at);
          const otherText = new Date(other).toISOString();
          expect(instantMs(otherText)).toBe(other);
        });
      }),
    );
  });

  it('reads any ISO 8601 text as Date.parse does, offsets included', () => {
    for (const text of ['2026-12-01T10:00:00Z', '2026-12-01T11:00:00+01:00', 'not a date']) {
      expect(instantMs(text)).toEqual(Date.parse(text));
      expect(instantMs(text)).toEqual(Date.parse(text));
    }
  });
});
