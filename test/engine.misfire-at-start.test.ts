/**
 * The misfire policy at a fire's start (issue 18): a fire claimed on time and
 * started late (its holder vanished, or the store was out) runs only if its
 * job's policy runs it now — `skip` never, `fire_once` when no later fire is
 * due by now, `catch_up` when fewer than `maxCatchUp` later fires are late.
 */
import { describe, expect, it } from 'vitest';
import { runsLate } from '../src/engine/misfire.js';

/** Fires every 10 s from 0. */
const every10s = { nextAfter: (after: number) => (Math.floor(after / 10_000) + 1) * 10_000 };
const settings = { misfireGraceMs: 5_000, maxCatchUp: 2 };

describe('runsLate', () => {
  it('skip: a late fire never runs', () => {
    expect(runsLate(every10s, 10_000, 17_000, { ...settings, misfire: 'skip' })).toBe(false);
  });

  it('fire_once: runs when it is the newest fire due, not when a later one is due', () => {
    const fireOnce = { ...settings, misfire: 'fire_once' as const };
    expect(runsLate(every10s, 10_000, 17_000, fireOnce)).toBe(true);
    expect(runsLate(every10s, 10_000, 19_999, fireOnce)).toBe(true);
    // The 20 s fire is due (within its grace): that one is the job's run.
    expect(runsLate(every10s, 10_000, 20_000, fireOnce)).toBe(false);
    expect(runsLate(every10s, 10_000, 60_000, fireOnce)).toBe(false);
  });

  it('catch_up: runs while fewer than maxCatchUp later fires are late too', () => {
    const catchUp = { ...settings, misfire: 'catch_up' as const };
    // At 34 s the fires of 20 s and 30 s: only 20 s is late (30 s is within its grace).
    expect(runsLate(every10s, 10_000, 34_000, catchUp)).toBe(true);
    // At 35_001 ms, 20 s and 30 s are late: two later late fires, maxCatchUp 2.
    expect(runsLate(every10s, 10_000, 35_001, catchUp)).toBe(false);
    expect(runsLate(every10s, 20_000, 35_001, catchUp)).toBe(true);
  });

  it('a schedule with no later fire: the late fire is the newest', () => {
    const none = { nextAfter: () => null };
    expect(runsLate(none, 10_000, 99_000, { ...settings, misfire: 'fire_once' })).toBe(true);
  });
});
