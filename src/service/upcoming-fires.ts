/**
 * The fires of many jobs within a window, soonest first, bounded: what the
 * overview's "next 24 hours" timeline shows. Each job's schedule is compiled
 * once with the scheduler's own schedule code, and the jobs' fire sequences
 * are merged through a min-heap, so `limit` fires cost about `limit + jobs`
 * look-ups, however often a job fires.
 */
import TinyQueue from 'tinyqueue';
import type { Job } from '../model/job.js';
import { parseDuration } from '../model/duration.js';
import { parseInstant } from '../model/instant.js';
import { compileSchedule, type FireTimes } from '../schedules/fire-times.js';

/** One upcoming fire. */
export interface UpcomingFire {
  jobId: string;
  /** The fire instant (ISO 8601 UTC). */
  at: string;
}

/** The fires of a window. */
export interface UpcomingFires {
  items: UpcomingFire[];
  /** True when the window holds more fires than `limit` (beyond each job's `perJob`). */
  truncated: boolean;
}

interface Head {
  jobId: string;
  at: number;
  times: FireTimes;
  /** The job's fires listed so far. */
  count: number;
}

/**
 * The fires of `jobs` in `[from, until]`, soonest first, at most `limit`
 * in all and `perJob` of each job (so one frequent job cannot crowd the others out).
 * `jobs` are the jobs due by `until`, soonest first (`Scheduler.listDueJobs`);
 * a job whose schedule cannot be compiled is left out.
 */
export function upcomingFires(
  jobs: readonly Job[],
  window: { from: number; until: number; limit: number; perJob?: number },
): UpcomingFires {
  const perJob = window.perJob ?? Infinity;
  const queue = new TinyQueue<Head>([], (a, b) => a.at - b.at || (a.jobId < b.jobId ? -1 : 1));
  for (const job of jobs) {
    const head = firstFire(job, window.from);
    if (head && head.at <= window.until) queue.push(head);
  }
  const items: UpcomingFire[] = [];
  while (queue.length > 0) {
    const head = queue.pop() as Head;
    if (items.length === window.limit) return { items, truncated: true };
    items.push({ jobId: head.jobId, at: new Date(head.at).toISOString() });
    if (++head.count >= perJob) continue;
    const next = head.times.nextAfter(head.at);
    if (next !== null && next <= window.until) queue.push({ ...head, at: next });
  }
  return { items, truncated: false };
}

/** A job's first fire at or after `from`, from its next fire not yet planned. */
function firstFire(job: Job, from: number): Head | undefined {
  if (job.nextFireAt === null) return undefined;
  const next = parseInstant(job.nextFireAt, '/nextFireAt');
  let times: FireTimes;
  try {
    times = compileSchedule(job.schedule, intervalAnchor(job, next, from));
  } catch {
    return undefined;
  }
  // Fires between `from` and the next one not yet planned are planned already: they count.
  const first = times.nextAfter(from - 1);
  const at = first !== null && first < next ? first : next >= from ? next : null;
  return at === null ? undefined : { jobId: job.id, at, times, count: 0 };
}

/**
 * An anchor for an interval without `startAt`: the job's own anchor is not
 * shown, but its next fire is one of its instants, and so is every step of
 * the interval before it — back to the first at or after `from`.
 */
function intervalAnchor(job: Job, next: number, from: number): number | undefined {
  if (job.schedule.kind !== 'interval' || job.schedule.startAt !== undefined) return undefined;
  const every = parseDuration(job.schedule.every, '/schedule/every');
  return next > from && every > 0 ? next - every * Math.floor((next - from) / every) : next;
}
