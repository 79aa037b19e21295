/**
 * How the Postgres store encodes a job's definition (`job-encoding.ts`): a
 * one-shot's instant in epoch ms only when its text is what `toISOString`
 * gives, so every definition reads back exactly as it was written.
 */
import { describe, expect, test } from 'vitest';
import { definitionText, withDefaults } from '../../src/stores/postgres/job-encoding.js';
import type { StoredDefinition } from '../../src/stores/store.js';

const once = (at: string): StoredDefinition => ({
  schedule: { kind: 'once', at },
  target: { type: 'handler' },
  metadata: {},
});

/** The definition as the store writes it and reads it back. */
const roundTrip = (definition: StoredDefinition) => {
  const text = definitionText(definition);
  return { text, read: withDefaults(JSON.parse(text) as StoredDefinition) };
};

describe('a stored definition', () => {
  test("keeps a one-shot's canonical instant in epoch ms and reads it back as the text", () => {
    const at = '2030-01-01T00:00:00.125Z';
    const { text, read } = roundTrip(once(at));
    expect(text).toBe(`{"schedule":{"kind":"once","at":${Date.UTC(2030, 0, 1) + 125}}}`);
    expect(read).toEqual(once(at));
  });

  test.each([
    ['no milliseconds', '2030-01-01T00:00:00Z'],
    ['an offset', '2030-01-01T01:00:00.000+01:00'],
    ['a day past its month', '2030-02-30T00:00:00.000Z'],
    ['hour 24', '2030-01-01T24:00:00.000Z'],
    ['a six-digit year', '+012030-01-01T00:00:00.000Z'],
    ['not an instant', 'soon'],
  ])('keeps an instant with %s as its text', (_, at) => {
    const { text, read } = roundTrip(once(at));
    expect(JSON.parse(text)).toEqual({ schedule: { kind: 'once', at } });
    expect(read).toEqual(once(at));
  });

  test('leaves the instants of other schedules as they are', () => {
    const interval: StoredDefinition = {
      schedule: { kind: 'interval', every: '1m', startAt: '2030-01-01T00:00:00.000Z' },
      target: { type: 'webhook', url: 'https://x.test/' } as StoredDefinition['target'],
      metadata: { at: '2030-01-01T00:00:00.000Z' },
      anchorAt: '2030-01-01T00:00:00.000Z',
    };
    const { text, read } = roundTrip(interval);
    expect(text).not.toMatch(/\d{13}/);
    expect(read).toEqual(interval);
  });
});
