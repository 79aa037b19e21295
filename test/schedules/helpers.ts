import { compileSchedule, type FireTimes } from '../../src/schedules/index.js';

/** A cron schedule's FireTimes in `tz`. */
export function cronIn(expr: string, tz: string): FireTimes {
  return compileSchedule({ kind: 'cron', expr, tz });
}

/** The next `n` fires strictly after `fromIso`, as ISO strings (oldest first). */
export function nextN(times: FireTimes, fromIso: string, n: number): string[] {
  const out: string[] = [];
  let cursor = Date.parse(fromIso);
  while (out.length < n) {
    const fire = times.nextAfter(cursor);
    if (fire === null) break;
    out.push(new Date(fire).toISOString());
    cursor = fire;
  }
  return out;
}

/** All fires in `(fromIso, toIso]`, as ISO strings (oldest first). */
export function between(times: FireTimes, fromIso: string, toIso: string): string[] {
  const out: string[] = [];
  const end = Date.parse(toIso);
  let cursor = Date.parse(fromIso);
  for (;;) {
    const fire = times.nextAfter(cursor);
    if (fire === null || fire > end) return out;
    out.push(new Date(fire).toISOString());
    cursor = fire;
  }
}

/** `previous()` as ISO strings (newest first). */
export function prevN(times: FireTimes, atIso: string, n: number, notBeforeIso: string): string[] {
  return times
    .previous(Date.parse(atIso), n, Date.parse(notBeforeIso))
    .map((ms) => new Date(ms).toISOString());
}

/** The local calendar day (YYYY-MM-DD) of an instant in `tz`. */
export function localDay(iso: string, tz: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(iso));
}

/** The UTC offset of `tz` at an instant, as Intl prints it, e.g. "GMT+02:00". */
export function intlOffset(iso: string, tz: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    timeZoneName: 'longOffset',
  }).formatToParts(new Date(iso));
  const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? '';
  return name === 'GMT' ? 'GMT+00:00' : name; // ICU prints a zero offset either way
}

/** A small deterministic PRNG (mulberry32) for property tests. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
