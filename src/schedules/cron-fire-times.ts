/**
 * Cron fire instants in a time zone, with chime's DST rule (classic Vixie cron):
 * - a fixed-time expression (its hour field names hours) whose wall time falls
 *   in a spring-forward gap fires once, at the first instant after the gap; one
 *   whose wall time occurs twice fires once, at the first occurrence;
 * - an expression whose hour field is `*` or a step fires at every matching wall
 *   time that exists: in both occurrences of a repeated hour, never in a gap.
 *
 * croner matches the expression on zone-free wall time; this module maps wall
 * times to instants. Write `p(w)` for the first instant whose wall time is at or
 * after `w` (the fire of a normal wall time, the first occurrence of a repeated
 * one, the end of the gap for a missing one) and `s(w)` for the second occurrence
 * of a repeated wall time. `p` never decreases as `w` grows, and `p(w) > t`
 * exactly when `w` is later than the latest wall time shown up to `t`; so each
 * step needs one croner look-up plus, near a fall-back, one for `s(w)`.
 */
import { CRON_HORIZON, type CronExpression } from './cron-expression.js';
import type { FireTimes } from './fire-times.js';
import { formatOffset, type Transition, type Zone } from './zone.js';

/** Walls searched before this many ms under the first requested instant, for `previous`. */
const WALL_MARGIN = 2 * 86_400_000;
const MIN_MS = CRON_HORIZON.min;
const MAX_MS = CRON_HORIZON.max;

/** Why a fire is not at the wall time its expression names, for previews. */
export interface DstShift {
  /** True when a spring-forward gap moved the fire, or it is the second occurrence of a repeated hour. */
  readonly dstShifted: boolean;
  /** A human note when shifted. */
  readonly note?: string;
}

/** The fire instants of a cron expression in a zone, bounded by `[startMs, endMs]`. */
export class CronFireTimes implements FireTimes {
  private readonly expr: CronExpression;
  private readonly zone: Zone;
  private readonly startMs: number;
  private readonly endMs: number;

  constructor(expr: CronExpression, zone: Zone, startMs = -Infinity, endMs = Infinity) {
    this.expr = expr;
    this.zone = zone;
    this.startMs = startMs;
    this.endMs = endMs;
  }

  nextAfter(afterMs: number): number | null {
    const from = Math.max(afterMs, this.startMs - 1, MIN_MS);
    if (from >= Math.min(this.endMs, MAX_MS)) return null;
    const fire = this.firstAfter(from);
    return fire !== null && fire <= this.endMs ? fire : null;
  }

  previous(atOrBeforeMs: number, count: number, notBeforeMs: number): number[] {
    const out: number[] = [];
    const floor = Math.max(notBeforeMs, this.startMs, MIN_MS);
    let cursor = Math.min(atOrBeforeMs, this.endMs, MAX_MS);
    while (out.length < count && cursor >= floor) {
      const fire = this.lastAtOrBefore(cursor, floor - WALL_MARGIN);
      if (fire === null || fire < floor) break;
      out.push(fire);
      cursor = fire - 1;
    }
    return out;
  }

  /** Whether (and why) DST moved the fire at `fireMs` off the wall time the expression names. */
  describe(fireMs: number): DstShift {
    const zone = this.zone;
    if (this.expr.fixedTime) {
      const before = zone.offsetAt(fireMs - 1);
      const after = zone.offsetAt(fireMs);
      if (before >= after) return { dstShifted: false };
      const first = this.expr.nextAfter(fireMs + before - 1);
      if (first === null || first >= fireMs + after) return { dstShifted: false };
      const last = this.expr.lastAtOrBefore(fireMs + after - 1, first) ?? first;
      const missing =
        last === first ? `${clock(first)} does not` : `${clock(first)}–${clock(last)} do not`;
      return {
        dstShifted: true,
        note: `${missing} exist on ${day(first)} (DST gap); fired ${last === first ? '' : 'once '}at ${clock(fireMs + after)}`,
      };
    }
    const fallBack = zone.fallBackNear(fireMs);
    if (fallBack === null || !isSecondOccurrence(fireMs, fallBack)) return { dstShifted: false };
    const wall = fireMs + fallBack.after;
    return {
      dstShifted: true,
      note: `${clock(wall)} occurs twice on ${day(wall)} (DST fall-back); this is the second occurrence (${formatOffset(fallBack.after)})`,
    };
  }

  /** The first fire strictly after `t`, ignoring the bounds. */
  private firstAfter(t: number): number | null {
    const fallBack = this.zone.fallBackNear(t);
    const primary = this.primaryAfter(this.latestWallUpTo(t, fallBack));
    if (this.expr.fixedTime || fallBack === null) return primary;
    // s(w) = w - after for w in the repeated range [at + after, at + before).
    const wall = this.expr.nextAfter(Math.max(t, fallBack.at - 1) + fallBack.after);
    if (wall === null || wall >= fallBack.at + fallBack.before) return primary;
    const second = wall - fallBack.after;
    return primary === null ? second : Math.min(primary, second);
  }

  /** p(w) for the first matching wall `w` after `wall` that fires under the rule. */
  private primaryAfter(wall: number): number | null {
    let cursor = wall;
    for (;;) {
      const next = this.expr.nextAfter(cursor);
      if (next === null) return null;
      const resolved = this.zone.resolve(next);
      if (resolved.kind === 'single') return resolved.at;
      if (resolved.kind === 'repeated') return resolved.first;
      const { transition } = resolved;
      if (this.expr.fixedTime) return transition.at;
      cursor = transition.at + transition.after - 1; // nothing fires in the gap
    }
  }

  /** The last fire at or before `x`, ignoring the bounds. */
  private lastAtOrBefore(x: number, floorWall: number): number | null {
    let cursor = this.latestWallUpTo(x, this.zone.fallBackNear(x));
    for (;;) {
      const wall = this.expr.lastAtOrBefore(cursor, floorWall);
      if (wall === null) return null;
      const resolved = this.zone.resolve(wall);
      if (resolved.kind === 'single') return resolved.at;
      const { transition } = resolved;
      if (resolved.kind === 'gap') {
        if (this.expr.fixedTime) return transition.at;
        cursor = transition.at + transition.before - 1; // nothing fires in the gap
        continue;
      }
      if (this.expr.fixedTime || x < transition.at) return resolved.first;
      // A later wall of the same repeated range may have its second occurrence <= x.
      const limit = Math.min(x + transition.after, transition.at + transition.before - 1);
      const repeated = this.expr.lastAtOrBefore(limit, transition.at + transition.after);
      return repeated === null
        ? resolved.first
        : Math.max(resolved.first, repeated - transition.after);
    }
  }

  /** The latest wall time shown at any instant up to `t` (later than `t`'s own after a fall-back). */
  private latestWallUpTo(t: number, fallBack: Transition | null): number {
    const wall = this.zone.wallAt(t);
    return fallBack !== null && fallBack.at <= t
      ? Math.max(wall, fallBack.at - 1 + fallBack.before)
      : wall;
  }
}

function isSecondOccurrence(instant: number, fallBack: Transition): boolean {
  return instant >= fallBack.at && instant < fallBack.at + (fallBack.before - fallBack.after);
}

/** `HH:MM`, or `HH:MM:SS` when the seconds are not zero, of a wall time. */
function clock(wall: number): string {
  const iso = new Date(wall).toISOString();
  return iso.slice(17, 19) === '00' ? iso.slice(11, 16) : iso.slice(11, 19);
}

/** `YYYY-MM-DD` of a wall time. */
function day(wall: number): string {
  return new Date(wall).toISOString().slice(0, 10);
}
