/**
 * The filters of `GET /v1/jobs` that the store does not index: `q` (the id
 * contains this text, any case) and `lastOutcome`. They are applied to the
 * store's own pages, in id order, until a page is full or {@link SCAN_LIMIT}
 * jobs were looked at; then `nextCursor` points after the last job looked at,
 * so a sparse match over many jobs comes back a bounded step at a time
 * (a page may hold fewer items than `limit` and still have a next one).
 */
import { encodeCursor } from '../scheduler/cursor.js';
import type { Job, ListJobsParams, Page, Scheduler } from '../scheduler/scheduler.js';

/** Most jobs looked at to answer one request. */
export const SCAN_LIMIT = 5000;

/** The last outcomes a job can have, and `none` for a job that never finished an execution. */
export const LAST_OUTCOMES = ['succeeded', 'failed', 'missed', 'skipped', 'cancelled', 'none'];

/** Filters applied after the store's. */
export interface JobSearch {
  /** Text the id contains, in any case. */
  q?: string;
  /** The job's last outcome, or `none`. */
  lastOutcome?: string;
}

/** A page of jobs matching the store's filters and {@link JobSearch}; see the module comment. */
export async function searchJobs(
  scheduler: Scheduler,
  params: ListJobsParams,
  search: JobSearch,
): Promise<Page<Job>> {
  if (search.q === undefined && search.lastOutcome === undefined) return scheduler.listJobs(params);
  const limit = params.limit ?? 100;
  const batch = Math.max(limit, 500);
  const matches = matcher(search);
  const items: Job[] = [];
  let cursor = params.cursor;
  for (let scanned = 0; scanned < SCAN_LIMIT;) {
    const page = await scheduler.listJobs({ ...params, limit: batch, ...cursorOf(cursor) });
    for (const job of page.items) {
      if (!matches(job)) continue;
      items.push(job);
      if (items.length === limit) return { items, nextCursor: encodeCursor({ id: job.id }) };
    }
    if (page.nextCursor === null) return { items, nextCursor: null };
    cursor = page.nextCursor;
    scanned += page.items.length;
  }
  return { items, nextCursor: cursor ?? null };
}

function cursorOf(cursor: string | undefined): { cursor?: string } {
  return cursor === undefined ? {} : { cursor };
}

function matcher(search: JobSearch): (job: Job) => boolean {
  const q = search.q?.toLowerCase();
  const outcome = search.lastOutcome;
  return (job) =>
    (q === undefined || job.id.toLowerCase().includes(q)) &&
    (outcome === undefined || (job.lastOutcome?.status ?? 'none') === outcome);
}
