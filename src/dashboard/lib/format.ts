/**
 * How times, durations and rates read on the page: relative ("in 3 h 12 min"),
 * absolute in the browser's zone, in UTC or in a schedule's zone.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A span as words: "850 ms", "4.2 s", "3 min 5 s", "2 h 3 min", "3 d 4 h". */
export function duration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < SECOND) return `${Math.round(abs)} ms`;
  if (abs < 10 * SECOND) return `${(abs / SECOND).toFixed(1)} s`;
  if (abs < MINUTE) return `${Math.round(abs / SECOND)} s`;
  if (abs < HOUR) return pair(abs, MINUTE, 'min', SECOND, 's');
  if (abs < DAY) return pair(abs, HOUR, 'h', MINUTE, 'min');
  return pair(abs, DAY, 'd', HOUR, 'h');
}

function pair(ms: number, big: number, bigUnit: string, small: number, smallUnit: string): string {
  const whole = Math.floor(ms / big);
  const rest = Math.floor((ms - whole * big) / small);
  return rest === 0 ? `${whole} ${bigUnit}` : `${whole} ${bigUnit} ${rest} ${smallUnit}`;
}

/** An instant relative to `now`: "in 5 min", "12 s ago", "now". */
export function relative(iso: string, now: number): string {
  const delta = Date.parse(iso) - now;
  if (Math.abs(delta) < SECOND) return 'now';
  return delta > 0 ? `in ${duration(delta)}` : `${duration(delta)} ago`;
}

const localFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'short',
});

/** An instant in the browser's zone, e.g. "06/12/2026, 14:03:05 CET" (the browser's locale). */
export function localTime(iso: string): string {
  return localFormat.format(new Date(iso));
}

/** An instant in UTC: "2026-12-06 13:03:05 UTC". */
export function utcTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** An instant's time of day in the browser's zone: "14:03:05". */
export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hourCycle: 'h23' });
}

/** The share of successes among finished runs: "98 %", or "—" before any. */
export function successRate(succeeded: number, failed: number): string {
  const total = succeeded + failed;
  return total === 0 ? '—' : `${Math.floor((succeeded * 100) / total)} %`;
}

/** Milliseconds as a short lag: "—" when unknown. */
export function lag(ms: number | null): string {
  return ms === null ? '—' : duration(ms);
}

/** A previewed local wall time ("2026-03-29T03:00:00.000+02:00") as "2026-03-29 03:00:00 +02:00". */
export function wallTime(local: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.exec(
    local,
  );
  if (!match) return local;
  const offset = match[3] === undefined || match[3] === 'Z' ? '+00:00' : match[3];
  return `${match[1]} ${match[2]} ${offset}`;
}
