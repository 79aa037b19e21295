/**
 * Cron expressions, parsed and matched by croner on a zone-free "wall clock"
 * (croner runs with a fixed UTC offset of 0, so it never sees DST; the zone is
 * applied afterwards by the DST rule). Besides caching, this module corrects two
 * croner quirks, each verified with croner's own `match()`:
 * - `nextRun` can skip the first days of a month after a short month when both
 *   day-of-month and day-of-week are restricted (it probes "Feb 30", which rolls
 *   over into March); a result in a later month is re-searched from that
 *   month's first second;
 * - `previousRuns` can throw or answer wrongly (same cause); every answer is
 *   checked against `nextRun`, and a bisection over `nextRun` replaces it when
 *   the check fails.
 */
import { Cron } from 'croner';
import { ChimeError } from '../errors.js';

const SECOND = 1000;
/** The instants a cron schedule can fire at: 1900 up to (not including) croner's year-3000 horizon. */
export const CRON_HORIZON = { min: Date.UTC(1900, 0, 1), max: Date.UTC(3000, 0, 1) } as const;

/** A parsed cron expression, matched against wall times (epoch ms read as local time). */
export interface CronExpression {
  /** The expression as written. */
  readonly source: string;
  /** The expression with macros expanded, e.g. `0 * * * *` for `@hourly`. */
  readonly pattern: string;
  /**
   * True when the hour field names specific hours (a fixed-time job); false when
   * it is `*` or a step, so the job keeps a rhythm through DST changes.
   */
  readonly fixedTime: boolean;
  /** The first matching wall time strictly after `wallMs`, or null. */
  nextAfter(wallMs: number): number | null;
  /** The last matching wall time at or before `wallMs` and not before `floorWallMs`, or null. */
  lastAtOrBefore(wallMs: number, floorWallMs: number): number | null;
  /** True when the wall time `wallMs` (whole second) matches. */
  matches(wallMs: number): boolean;
}

/** What an expression may be, said by every refusal of its shape. */
const FIELDS_RULE =
  'a cron expression has 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first, or is a macro such as @daily, and no ":"';

const CACHE_LIMIT = 512;
const cache = new Map<string, CronExpression>();

/**
 * Parses `expr` (5 or 6 fields, macros, `L`, `W`, `#`) with croner; cached by text.
 * @throws ChimeError `CHIME_ERR_SCHEDULE_CRON_INVALID` with croner's reason.
 */
export function compileCronExpression(expr: string): CronExpression {
  const hit = cache.get(expr);
  if (hit !== undefined) {
    cache.delete(expr);
    cache.set(expr, hit);
    return hit;
  }
  const compiled = new CronerExpression(expr);
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(expr, compiled);
  return compiled;
}

function startOfUtcMonth(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

class CronerExpression implements CronExpression {
  readonly source: string;
  readonly pattern: string;
  readonly fixedTime: boolean;
  private readonly cron: Cron;

  constructor(expr: string) {
    this.source = expr;
    // croner reads a string with ':' as a one-shot ISO date, not a pattern, and its own
    // message for a wrong count of fields offers seven (a year field), which chime refuses.
    const count = expr.trim().split(/\s+/).length;
    if (expr.includes(':')) throw invalid(expr, `${FIELDS_RULE}; this one has a ":"`);
    if (!expr.trim().startsWith('@') && count !== 5 && count !== 6) {
      const year = count === 7 ? ' (a seventh field, the year, is not supported)' : '';
      throw invalid(expr, `${FIELDS_RULE}; this one has ${count}${year}`);
    }
    try {
      this.cron = new Cron(expr, { utcOffset: 0, mode: '5-or-6-parts' });
    } catch (err) {
      throw invalid(expr, err instanceof Error ? err.message : String(err), err);
    }
    this.pattern = this.cron.getPattern() ?? expr;
    const fields = this.pattern.trim().split(/\s+/);
    const hour = fields[fields.length === 6 ? 2 : 1] ?? '*';
    this.fixedTime = !/[*?/]/.test(hour);
  }

  matches(wallMs: number): boolean {
    return this.cron.match(new Date(wallMs));
  }

  nextAfter(wallMs: number): number | null {
    let from = wallMs;
    for (let guard = 0; guard < 100_000; guard++) {
      const run = this.cron.nextRun(new Date(from));
      if (run === null) return null;
      const at = run.getTime();
      const monthStart = startOfUtcMonth(at);
      const firstCandidate = Math.floor(from / SECOND) * SECOND + SECOND;
      if (firstCandidate < monthStart) {
        // croner left the month it started in; re-scan the result's month from its start.
        from = monthStart - SECOND;
        continue;
      }
      if (this.matches(at)) return at;
      from = at;
    }
    return null;
  }

  lastAtOrBefore(wallMs: number, floorWallMs: number): number | null {
    const limit = Math.floor(wallMs / SECOND) * SECOND;
    const floor = Math.max(floorWallMs, CRON_HORIZON.min - 86_400_000);
    if (limit < floor) return null;
    let candidate: number | undefined;
    try {
      candidate = this.cron.previousRuns(1, new Date(limit + SECOND))[0]?.getTime();
    } catch {
      candidate = undefined;
    }
    if (candidate !== undefined && candidate <= limit && this.matches(candidate)) {
      const next = this.nextAfter(candidate);
      if (next === null || next > limit) return candidate >= floor ? candidate : null;
    }
    return this.bisectLast(limit, floor);
  }

  /** The last match in `[floor, limit]` using `nextAfter` only (gallop back, then bisect). */
  private bisectLast(limit: number, floor: number): number | null {
    const hasMatchFrom = (start: number): boolean => {
      const next = this.nextAfter(start - 1);
      return next !== null && next <= limit;
    };
    let step = SECOND;
    let lo = limit;
    for (;;) {
      lo = Math.max(limit - step, floor);
      if (hasMatchFrom(lo)) break;
      if (lo === floor) return null;
      step *= 2;
    }
    lo = Math.ceil(lo / SECOND) * SECOND;
    let hi = limit + SECOND;
    while (hi - lo > SECOND) {
      const mid = lo + Math.floor((hi - lo) / (2 * SECOND)) * SECOND;
      if (hasMatchFrom(mid)) lo = mid;
      else hi = mid;
    }
    return this.nextAfter(lo - 1);
  }
}

function invalid(expr: string, reason: string, cause?: unknown): ChimeError {
  return new ChimeError(
    'CHIME_ERR_SCHEDULE_CRON_INVALID',
    `${JSON.stringify(expr)} is not a valid cron expression: ${reason}`,
    { cause },
  );
}
