/**
 * Time-zone arithmetic on top of `Intl` (Node ships full ICU): the UTC offset at
 * an instant, the instants that carry a given local wall time (none in a DST
 * gap, two in a repeated hour), and the DST transitions around an instant.
 *
 * "Wall time" here is a local date-time written as epoch milliseconds as if it
 * were UTC: `wall = instant + offset`.
 */
import { ChimeError } from '../errors.js';

const SECOND = 1000;
const DAY = 86_400_000;

/** A change of UTC offset: from `at` on, the zone's offset is `after` instead of `before` (ms). */
export interface Transition {
  /** The first instant with the new offset. */
  readonly at: number;
  /** The offset just before `at`, in ms. */
  readonly before: number;
  /** The offset from `at` on, in ms. */
  readonly after: number;
}

/** How a local wall time maps to instants. */
export type WallResolution =
  | { readonly kind: 'single'; readonly at: number }
  | {
      /** The wall time occurs twice (fall-back). */
      readonly kind: 'repeated';
      readonly first: number;
      readonly second: number;
      readonly transition: Transition;
    }
  | {
      /** The wall time does not exist (spring-forward); `transition.at` is the first instant after the gap. */
      readonly kind: 'gap';
      readonly transition: Transition;
    };

/** One IANA time zone, with cached offset look-ups. */
export interface Zone {
  /** The zone name as given. */
  readonly name: string;
  /** The zone's UTC offset at `instantMs`, in ms (wall = instant + offset). */
  offsetAt(instantMs: number): number;
  /** The local wall time of `instantMs`. */
  wallAt(instantMs: number): number;
  /** The instants that carry the local wall time `wallMs`. */
  resolve(wallMs: number): WallResolution;
  /** The fall-back transition (offset decreases) within a day of `instantMs`, if any. */
  fallBackNear(instantMs: number): Transition | null;
}

/** True when `name` is a time zone that `Intl` knows (an IANA name such as `Europe/Berlin`, or `UTC`). */
export function isValidTimeZone(name: string): boolean {
  if (name.length === 0 || /^[+-]/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const zones = new Map<string, Zone>();

/**
 * The {@link Zone} named `name` (cached).
 * @throws ChimeError `CHIME_ERR_SCHEDULE_TZ_INVALID` when the zone is unknown.
 */
export function getZone(name: string): Zone {
  let zone = zones.get(name);
  if (zone === undefined) {
    if (!isValidTimeZone(name)) {
      throw new ChimeError(
        'CHIME_ERR_SCHEDULE_TZ_INVALID',
        `${JSON.stringify(name)} is not a known IANA time zone, e.g. "Europe/Berlin"`,
      );
    }
    zone = name === 'UTC' || name === 'Etc/UTC' ? UTC_ZONE : new IntlZone(name);
    zones.set(name, zone);
  }
  return zone;
}

/** UTC: no offsets, no transitions, no Intl calls. */
const UTC_ZONE: Zone = {
  name: 'UTC',
  offsetAt: () => 0,
  wallAt: (ms) => ms,
  resolve: (wallMs) => ({ kind: 'single', at: wallMs }),
  fallBackNear: () => null,
};

const OFFSET_CACHE_LIMIT = 4096;

class IntlZone implements Zone {
  readonly name: string;
  private readonly format: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number>();
  private readonly transitions: Transition[] = [];

  constructor(name: string) {
    this.name = name;
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  offsetAt(instantMs: number): number {
    const second = Math.floor(instantMs / SECOND);
    const cached = this.offsets.get(second);
    if (cached !== undefined) return cached;
    const offset = this.computeOffset(second * SECOND);
    if (this.offsets.size >= OFFSET_CACHE_LIMIT) this.offsets.clear();
    this.offsets.set(second, offset);
    return offset;
  }

  wallAt(instantMs: number): number {
    return instantMs + this.offsetAt(instantMs);
  }

  resolve(wallMs: number): WallResolution {
    const early = this.offsetAt(wallMs - DAY);
    const late = this.offsetAt(wallMs + DAY);
    if (early === late && this.offsetAt(wallMs - early) === early) {
      return { kind: 'single', at: wallMs - early };
    }
    const offsets = new Set([
      early,
      late,
      this.offsetAt(wallMs - early),
      this.offsetAt(wallMs - late),
    ]);
    const valid = [...offsets]
      .map((offset) => wallMs - offset)
      .filter((instant) => this.offsetAt(instant) === wallMs - instant)
      .sort((a, b) => a - b);
    const first = valid[0];
    const second = valid[valid.length - 1];
    if (first === undefined || second === undefined) {
      const lo = wallMs - Math.max(...offsets);
      const hi = wallMs - Math.min(...offsets);
      return { kind: 'gap', transition: this.transitionIn(lo, hi) };
    }
    if (first === second) return { kind: 'single', at: first };
    return { kind: 'repeated', first, second, transition: this.transitionIn(first, second) };
  }

  fallBackNear(instantMs: number): Transition | null {
    const before = this.offsetAt(instantMs - DAY);
    const after = this.offsetAt(instantMs + DAY);
    if (before <= after) return null;
    return this.transitionIn(instantMs - DAY, instantMs + DAY);
  }

  /** The (single) transition in `(lo, hi]`, found by bisection over whole seconds and cached. */
  private transitionIn(lo: number, hi: number): Transition {
    const before = this.offsetAt(lo);
    const after = this.offsetAt(hi);
    const known = this.transitions.find(
      (t) => t.at > lo && t.at <= hi && t.before === before && t.after === after,
    );
    if (known !== undefined) return known;
    let loS = Math.floor(lo / SECOND);
    let hiS = Math.floor(hi / SECOND);
    while (hiS - loS > 1) {
      const mid = loS + Math.floor((hiS - loS) / 2);
      if (this.offsetAt(mid * SECOND) === before) loS = mid;
      else hiS = mid;
    }
    const transition: Transition = { at: hiS * SECOND, before, after: this.offsetAt(hiS * SECOND) };
    if (this.transitions.length >= 64) this.transitions.shift();
    this.transitions.push(transition);
    return transition;
  }

  private computeOffset(instantMs: number): number {
    const fields = { era: 'AD', year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
    for (const part of this.format.formatToParts(instantMs)) {
      if (part.type === 'era') fields.era = part.value;
      else if (part.type in fields)
        (fields as Record<string, unknown>)[part.type] = Number(part.value);
    }
    const year = fields.era === 'BC' || fields.era === 'B' ? 1 - fields.year : fields.year;
    const wall = new Date(0);
    wall.setUTCFullYear(year, fields.month - 1, fields.day);
    wall.setUTCHours(fields.hour % 24, fields.minute, fields.second, 0);
    return wall.getTime() - instantMs;
  }
}

/** Formats an offset in ms as `+HH:MM` (or `+HH:MM:SS` for historical offsets). */
export function formatOffset(offsetMs: number): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const total = Math.round(Math.abs(offsetMs) / SECOND);
  const hh = String(Math.floor(total / 3600)).padStart(2, '0');
  const mm = String(Math.floor(total / 60) % 60).padStart(2, '0');
  const ss = total % 60;
  return ss === 0 ? `${sign}${hh}:${mm}` : `${sign}${hh}:${mm}:${String(ss).padStart(2, '0')}`;
}

/** Formats `instantMs` as local ISO 8601 text with its offset, e.g. `2026-03-29T03:00:00+02:00`. */
export function formatLocal(instantMs: number, zone: Zone): string {
  const offset = zone.offsetAt(instantMs);
  const iso = new Date(instantMs + offset).toISOString();
  const millis = iso.slice(19, 23);
  return `${iso.slice(0, 19)}${millis === '.000' ? '' : millis}${formatOffset(offset)}`;
}
